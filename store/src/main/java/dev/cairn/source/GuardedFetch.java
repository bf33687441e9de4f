package dev.cairn.source;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;

/**
 * Reads of a remote object's bytes that remember the latest read that gave up after a timeout: for
 * the next second, reads in the same chunk fail at once with the same message instead of asking
 * again. The kernel answers a failed read request by asking again at once for the page the reader
 * wanted, which would otherwise wait through four more timeouts. Chunks and pieces of one {@link
 * ChunkCachingSource} share one.
 *
 * <p><b>Thread safety:</b> safe for concurrent use if the inner source is.
 */
final class GuardedFetch {
  /** How long a chunk whose read gave up after a timeout fails again without a request. */
  private static final long GAVE_UP_NANOS = 1_000_000_000L;

  private final ByteSource inner;
  private final int chunk;
  private volatile GaveUp gaveUp;

  /** The latest chunk whose read gave up after a timeout, when, and why. */
  private record GaveUp(long index, long atNanos, IOException failure) {}

  /**
   * @param chunk the size of the chunks failures are remembered by
   */
  GuardedFetch(ByteSource inner, int chunk) {
    this.inner = inner;
    this.chunk = chunk;
  }

  /**
   * {@code length} bytes at {@code start} from the inner source, in an array of their own; or the
   * failure of a read in the same chunk that gave up after a timeout less than a second ago.
   */
  byte[] fetch(long start, int length) throws IOException {
    long index = start / chunk;
    GaveUp g = gaveUp;
    if (g != null && g.index() == index && System.nanoTime() - g.atNanos() < GAVE_UP_NANOS) {
      throw new IOException(g.failure().getMessage(), g.failure());
    }
    ByteBuffer b = ByteBuffer.allocate(length);
    long t0 = System.nanoTime();
    try {
      inner.readFully(start, b);
    } catch (IOException e) {
      long now = System.nanoTime();
      if (now - t0 >= TimeUnit.SECONDS.toNanos(RetryPolicy.timeout())) {
        gaveUp = new GaveUp(index, now, e);
      }
      throw e;
    }
    return b.array();
  }
}
