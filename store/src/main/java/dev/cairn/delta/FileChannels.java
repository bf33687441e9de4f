package dev.cairn.delta;

import dev.cairn.error.CorruptStoreException;
import dev.cairn.error.OutOfSpaceException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;

/**
 * Whole-buffer positional reads and writes on a {@link FileChannel}, which may transfer fewer bytes
 * than asked. A read that meets the end of the file reports the file as corrupt: every caller reads
 * lengths it has already checked against the file's size. A write that finds the file system full
 * throws {@link OutOfSpaceException}.
 *
 * <p><b>Thread safety:</b> stateless; safe wherever the channel's positional calls are.
 */
final class FileChannels {
  private FileChannels() {}

  /** Fills {@code dst} from file offset {@code pos}. */
  static void readFully(FileChannel ch, ByteBuffer dst, long pos, Path file) throws IOException {
    long p = pos;
    while (dst.hasRemaining()) {
      int n = ch.read(dst, p);
      if (n < 0) {
        throw new CorruptStoreException(file, "file ends early at offset " + p);
      }
      p += n;
    }
  }

  /** Writes all of {@code src} at the channel's position. */
  static void writeFully(FileChannel ch, ByteBuffer src) throws IOException {
    try {
      while (src.hasRemaining()) {
        ch.write(src);
      }
    } catch (IOException e) {
      throw OutOfSpaceException.classify(e);
    }
  }

  /** Writes all of {@code src} at file offset {@code pos}. */
  static void writeFully(FileChannel ch, ByteBuffer src, long pos) throws IOException {
    long p = pos;
    try {
      while (src.hasRemaining()) {
        p += ch.write(src, p);
      }
    } catch (IOException e) {
      throw OutOfSpaceException.classify(e);
    }
  }
}
