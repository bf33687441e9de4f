package dev.cairn.source;

import java.nio.ByteBuffer;

/**
 * The buffers one ranged response fills, in order, as if they were one: a run of chunks fetched
 * with one request lands in the chunks' own arrays, with no copy from a buffer of the whole run.
 *
 * <p>Not thread-safe: one response writes it (the HTTP client delivers a body's parts in order).
 */
final class Scatter {
  private final ByteBuffer[] parts;
  private final int[] starts;
  private int current;

  Scatter(ByteBuffer... parts) {
    this.parts = parts;
    this.starts = new int[parts.length];
    for (int i = 0; i < parts.length; i++) {
      starts[i] = parts[i].position();
    }
  }

  /** Puts every buffer back where it started, for another attempt. */
  void rewind() {
    for (int i = 0; i < parts.length; i++) {
      parts[i].position(starts[i]);
    }
    current = 0;
  }

  /** The bytes still to fill. */
  long remaining() {
    long n = 0;
    for (int i = current; i < parts.length; i++) {
      n += parts[i].remaining();
    }
    return n;
  }

  boolean hasRemaining() {
    return remaining() > 0;
  }

  /** Copies all of {@code src} in; the caller has checked that it fits ({@link #remaining()}). */
  void put(ByteBuffer src) {
    while (src.hasRemaining()) {
      ByteBuffer dst = parts[current];
      if (!dst.hasRemaining()) {
        current++;
        continue;
      }
      int n = Math.min(dst.remaining(), src.remaining());
      ByteBuffer slice = src.slice();
      slice.limit(n);
      dst.put(slice);
      src.position(src.position() + n);
    }
  }

  /** Copies {@code n} bytes of {@code src} from {@code offset} in. */
  void put(byte[] src, int offset, int n) {
    put(ByteBuffer.wrap(src, offset, n));
  }
}
