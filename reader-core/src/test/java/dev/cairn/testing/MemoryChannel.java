package dev.cairn.testing;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.WritableByteChannel;

/**
 * An in-memory, append-only {@link WritableByteChannel}, standing in for a pipe: it cannot seek, so
 * a writer that works with it streams. Optionally writes at most a few bytes per call, to exercise
 * short writes. Not thread-safe.
 */
public final class MemoryChannel implements WritableByteChannel {
  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final int maxPerWrite;
  private boolean open = true;

  public MemoryChannel() {
    this(Integer.MAX_VALUE);
  }

  /** A channel that accepts at most {@code maxPerWrite} bytes per {@link #write} call. */
  public MemoryChannel(int maxPerWrite) {
    this.maxPerWrite = maxPerWrite;
  }

  @Override
  public int write(ByteBuffer src) throws ClosedChannelException {
    if (!open) {
      throw new ClosedChannelException();
    }
    int n = Math.min(src.remaining(), maxPerWrite);
    byte[] tmp = new byte[n];
    src.get(tmp);
    out.write(tmp, 0, n);
    return n;
  }

  public byte[] toByteArray() {
    return out.toByteArray();
  }

  public int size() {
    return out.size();
  }

  @Override
  public boolean isOpen() {
    return open;
  }

  @Override
  public void close() {
    open = false;
  }
}
