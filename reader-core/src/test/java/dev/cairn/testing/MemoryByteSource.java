package dev.cairn.testing;

import dev.cairn.source.ByteSource;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;

/**
 * A {@link ByteSource} over a byte array (or a prefix of one), for tests and fuzz targets. The
 * array is not copied: a test can build a file in memory, damage it in place and reopen it. Thread
 * safe as long as nobody changes the array while it is read.
 */
public final class MemoryByteSource implements ByteSource {
  private final byte[] bytes;
  private final int length;
  private final String name;
  private volatile boolean closed;

  public MemoryByteSource(byte[] bytes, int length, String name) {
    if (length < 0 || length > bytes.length) {
      throw new IllegalArgumentException("length " + length + " of " + bytes.length);
    }
    this.bytes = bytes;
    this.length = length;
    this.name = name;
  }

  public MemoryByteSource(byte[] bytes, String name) {
    this(bytes, bytes.length, name);
  }

  @Override
  public long size() {
    return length;
  }

  @Override
  public void readFully(long position, ByteBuffer dst) throws IOException {
    if (position < 0) {
      throw new IllegalArgumentException("negative position " + position);
    }
    if (closed) {
      throw new ClosedChannelException();
    }
    int n = dst.remaining();
    if (position > length - (long) n) {
      throw new EOFException(
          name + ": read of " + n + " bytes at " + position + " past end " + length);
    }
    dst.put(bytes, (int) position, n);
  }

  @Override
  public String describe() {
    return name;
  }

  @Override
  public void close() {
    closed = true;
  }

  public boolean isClosed() {
    return closed;
  }
}
