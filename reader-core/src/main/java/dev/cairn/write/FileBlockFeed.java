package dev.cairn.write;

import dev.cairn.format.BlockEntry;
import java.io.Closeable;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/** Feeds a regular file's bytes to the writer. Not thread-safe (the writer is its only user). */
public final class FileBlockFeed implements BlockFeed, Closeable {
  private final Path path;
  private final FileChannel channel;
  private final long size;
  private final int blockLog2;

  private FileBlockFeed(Path path, FileChannel channel, int blockLog2) throws IOException {
    this.path = path;
    this.channel = channel;
    this.size = channel.size();
    this.blockLog2 = blockLog2;
  }

  /** Opens {@code path}; its size is taken now and must not change while packing. */
  public static FileBlockFeed open(Path path, int blockLog2) throws IOException {
    return new FileBlockFeed(path, FileChannel.open(path, StandardOpenOption.READ), blockLog2);
  }

  @Override
  public long size() {
    return size;
  }

  @Override
  public BlockEntry read(long block, ByteBuffer dst) throws IOException {
    long pos = block << blockLog2;
    while (dst.hasRemaining()) {
      int n = channel.read(dst, pos);
      if (n < 0) {
        throw new EOFException(path + ": file shrank while it was being packed");
      }
      pos += n;
    }
    return null;
  }

  @Override
  public void close() throws IOException {
    channel.close();
  }
}
