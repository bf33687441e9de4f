package dev.cairn.source;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A test {@link ByteSource} that wraps another, records every read sent to it and runs {@link
 * #fault} before each: the way tests make a source slow or failing without hooks in production
 * code. Thread-safe.
 */
public final class FaultySource implements ByteSource {
  /** What happens before a read reaches the wrapped source; may sleep or throw. */
  @FunctionalInterface
  interface Fault {
    void before(long position, int length) throws IOException;
  }

  /** One read sent to this source. */
  public record Read(long position, int length) {}

  private final ByteSource inner;
  private final List<Read> reads = new CopyOnWriteArrayList<>();
  volatile Fault fault = (position, length) -> {};

  public FaultySource(ByteSource inner) {
    this.inner = inner;
  }

  /** The reads sent so far, in order. */
  public List<Read> reads() {
    return List.copyOf(reads);
  }

  @Override
  public long size() throws IOException {
    return inner.size();
  }

  @Override
  public void readFully(long position, ByteBuffer dst) throws IOException {
    reads.add(new Read(position, dst.remaining()));
    fault.before(position, dst.remaining());
    inner.readFully(position, dst);
  }

  @Override
  public String describe() {
    return inner.describe();
  }

  @Override
  public void close() throws IOException {
    inner.close();
  }
}
