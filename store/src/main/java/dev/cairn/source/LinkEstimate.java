package dev.cairn.source;

/**
 * What the link to one server is measured to carry: its latency (time from sending a request to the
 * response's headers) and its bandwidth (body bytes per second, scaled by the requests that were in
 * flight together, so that it approximates what all connections carry at once), each a moving
 * average over recent requests. Their product, the bandwidth-delay product, is how many bytes must
 * be in flight to keep the link busy: what sizes the read-ahead window ({@link ReadAheadWindow}).
 * Bodies under 64 KiB say little about bandwidth and only update the latency.
 *
 * <p><b>Thread safety:</b> safe for concurrent use (synchronized; updates are a few
 * multiplications).
 */
final class LinkEstimate {
  private static final double WEIGHT = 0.25;
  private static final long MIN_BODY_FOR_BANDWIDTH = 64 << 10;

  private double latencyNanos = -1;
  private double bytesPerSecond = -1;

  /**
   * Notes one request that brought {@code bytes} body bytes, whose headers came {@code headerNanos}
   * after it was sent and whose body ended {@code totalNanos} after it was sent, while {@code
   * concurrent} requests (itself included) were in flight.
   */
  synchronized void observe(long bytes, long headerNanos, long totalNanos, int concurrent) {
    if (headerNanos < 0 || totalNanos < headerNanos) {
      return;
    }
    latencyNanos = average(latencyNanos, headerNanos);
    long body = totalNanos - headerNanos;
    if (bytes >= MIN_BODY_FOR_BANDWIDTH && body > 0) {
      double rate = bytes * 1e9 / body * Math.max(1, concurrent);
      bytesPerSecond = average(bytesPerSecond, rate);
    }
  }

  private static double average(double old, double sample) {
    return old < 0 ? sample : old + WEIGHT * (sample - old);
  }

  /** Bandwidth × latency in bytes, or 0 while either is unknown. */
  synchronized long bandwidthDelayBytes() {
    if (latencyNanos < 0 || bytesPerSecond < 0) {
      return 0;
    }
    return (long) (bytesPerSecond * latencyNanos / 1e9);
  }

  /** The chunks of {@code chunk} bytes to keep in flight: twice the bandwidth-delay product. */
  int chunksInFlight(int chunk) {
    long bdp = bandwidthDelayBytes();
    return (int) Math.min(Integer.MAX_VALUE, (2 * bdp + chunk - 1) / chunk);
  }
}
