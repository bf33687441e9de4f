package dev.cairn.source;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** The bandwidth-delay product from measured requests (figures given, no clocks). */
class LinkEstimateTest {
  private static final long MS = 1_000_000L;
  private static final int MIB = 1 << 20;

  @Test
  void nothingMeasuredIsNothingInFlight() {
    LinkEstimate e = new LinkEstimate();
    assertEquals(0, e.bandwidthDelayBytes());
    assertEquals(0, e.chunksInFlight(MIB));
  }

  @Test
  void latencyTimesBandwidthAndTwiceThatInChunks() {
    LinkEstimate e = new LinkEstimate();
    // headers after 50 ms, then 1 MiB in 10 ms: 100 MiB/s x 50 ms = 5 MiB
    e.observe(MIB, 50 * MS, 60 * MS, 1);
    assertEquals(5L * MIB, e.bandwidthDelayBytes(), 1024);
    assertEquals(10, e.chunksInFlight(MIB));
  }

  @Test
  void requestsInFlightTogetherScaleTheBandwidth() {
    LinkEstimate e = new LinkEstimate();
    e.observe(MIB, 50 * MS, 60 * MS, 4);
    assertEquals(20L * MIB, e.bandwidthDelayBytes(), 4096);
  }

  @Test
  void smallBodiesTellLatencyOnlyAndTheAveragesMoveByAQuarter() {
    LinkEstimate e = new LinkEstimate();
    e.observe(4096, 20 * MS, 21 * MS, 1);
    assertEquals(0, e.bandwidthDelayBytes(), "no bandwidth known yet");
    e.observe(MIB, 20 * MS, 30 * MS, 1); // latency stays 20 ms; 100 MiB/s
    assertEquals(2L * MIB, e.bandwidthDelayBytes(), 1024);
    e.observe(MIB, 100 * MS, 110 * MS, 1); // latency 20 + (100 - 20) / 4 = 40 ms
    assertEquals(4L * MIB, e.bandwidthDelayBytes(), 1024);
  }

  @Test
  void impossibleFiguresAreIgnored() {
    LinkEstimate e = new LinkEstimate();
    e.observe(MIB, -1, 10 * MS, 1);
    e.observe(MIB, 10 * MS, 5 * MS, 1);
    assertEquals(0, e.bandwidthDelayBytes());
  }
}
