package dev.cairn.source;

import dev.cairn.error.SourceChangedException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * A {@link ByteSource} over a local file, using positional {@link FileChannel} reads ({@code
 * pread}), which never move a shared file pointer. One opened for random reads ({@link
 * #openForRandomReads}) first has the kernel read the window around a small read ({@link
 * ReadAround}), as a page fault in a memory map would.
 *
 * <p><b>Thread safety:</b> safe for concurrent use. Interrupting a thread blocked in a read closes
 * a {@link FileChannel}; to keep one interrupted caller from breaking every other reader, reads go
 * through a channel that is reopened if that happens.
 */
public final class FileByteSource implements ByteSource {
  private final Path path;
  private final String name;
  private final long size;
  private volatile FileChannel channel;
  private volatile boolean closed;
  private final ReadAround readAround;

  private FileByteSource(Path path, String name, FileChannel channel, boolean readAround)
      throws IOException {
    this.path = path;
    this.name = name;
    this.channel = channel;
    this.size = channel.size();
    this.readAround = readAround ? ReadAround.open(path, size) : null;
  }

  /** Opens {@code path} for reading. The file's size is taken once, at open. */
  public static FileByteSource open(Path path) throws IOException {
    return open(path, path.toString());
  }

  /** Opens {@code path} for reading, calling it {@code name} in messages. */
  static FileByteSource open(Path path, String name) throws IOException {
    return new FileByteSource(path, name, FileChannel.open(path, StandardOpenOption.READ), false);
  }

  /**
   * Opens {@code path} for small reads anywhere in it (a verified snapshot's blocks), reading
   * around each as a memory map would ({@link ReadAround}). Not the default: binding libc and
   * opening a second descriptor cost a command that reads a file's header or the whole of a small
   * file about 0.13 s at start-up (a cold C1 JVM), and gain it nothing.
   */
  public static FileByteSource openForRandomReads(Path path) throws IOException {
    return new FileByteSource(
        path, path.toString(), FileChannel.open(path, StandardOpenOption.READ), true);
  }

  @Override
  public long size() {
    return size;
  }

  @Override
  public void readFully(long position, ByteBuffer dst) throws IOException {
    // a closed channel fails the read below
    RangeCheck.check(false, name, size, position, dst.remaining());
    if (readAround != null && !closed) {
      readAround.before(position, dst.remaining());
    }
    long pos = position;
    while (dst.hasRemaining()) {
      int n;
      try {
        n = channel().read(dst, pos);
      } catch (java.nio.channels.ClosedByInterruptException e) {
        reopen();
        throw e;
      }
      if (n < 0) {
        // Not an EOFException: the range was checked, so the file changed, it is not damaged.
        throw new SourceChangedException(
            name, "file shrank below " + size + " bytes while open (changed by another process)");
      }
      pos += n;
    }
  }

  private FileChannel channel() throws IOException {
    if (closed) {
      throw new java.nio.channels.ClosedChannelException();
    }
    return channel;
  }

  private synchronized void reopen() throws IOException {
    if (!closed && !channel.isOpen()) {
      channel = FileChannel.open(path, StandardOpenOption.READ);
    }
  }

  @Override
  public String describe() {
    return name;
  }

  @Override
  public synchronized void close() throws IOException {
    if (closed) {
      return;
    }
    closed = true;
    try {
      channel.close();
    } finally {
      if (readAround != null) {
        readAround.close();
      }
    }
  }
}
