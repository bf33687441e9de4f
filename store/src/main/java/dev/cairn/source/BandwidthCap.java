package dev.cairn.source;

import java.io.InterruptedIOException;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * A cap on the bytes per second remote requests bring in, for links shared with other work ({@code
 * --max-bandwidth}): a token bucket in its virtual-scheduling form (GCRA). Each request reserves
 * its bytes before it is sent and waits until the cap allows them; up to 100 ms worth of bytes may
 * go at once after an idle spell, no more, so the long-run rate never exceeds the cap.
 *
 * <p><b>Thread safety:</b> safe for concurrent use; a waiting request holds no lock.
 */
final class BandwidthCap {
  private static final long BURST_NANOS = TimeUnit.MILLISECONDS.toNanos(100);

  private final long bytesPerSecond;
  private final LongSupplier clock;
  private long theoreticalArrival = Long.MIN_VALUE;

  /** A cap of {@code bytesPerSecond} (at least 1) on {@link System#nanoTime()}. */
  BandwidthCap(long bytesPerSecond) {
    this(bytesPerSecond, System::nanoTime);
  }

  BandwidthCap(long bytesPerSecond, LongSupplier clock) {
    if (bytesPerSecond < 1) {
      throw new IllegalArgumentException("bandwidth cap " + bytesPerSecond);
    }
    this.bytesPerSecond = bytesPerSecond;
    this.clock = clock;
  }

  /** Reserves {@code bytes}; returns how many nanoseconds the caller must wait before sending. */
  synchronized long reserve(long bytes) {
    long now = clock.getAsLong();
    long cost = (long) Math.ceil(bytes * 1e9 / bytesPerSecond);
    long start = theoreticalArrival == Long.MIN_VALUE ? now : Math.max(theoreticalArrival, now);
    theoreticalArrival = start + cost;
    return Math.max(0, theoreticalArrival - now - BURST_NANOS);
  }

  /** Reserves {@code bytes} and waits until the cap allows them. */
  void acquire(long bytes) throws InterruptedIOException {
    long wait = reserve(bytes);
    if (wait > 0) {
      try {
        TimeUnit.NANOSECONDS.sleep(wait);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new InterruptedIOException("interrupted while waiting for the bandwidth cap");
      }
    }
  }
}
