package dev.cairn.source;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The token bucket's waits on a clock the test moves (no sleeping, no timing). */
class BandwidthCapTest {
  private static final long MS = 1_000_000L;

  @Test
  void aBurstOf100msGoesAtOnceThenEachRequestWaitsItsShare() {
    AtomicLong now = new AtomicLong(1_000 * MS);
    BandwidthCap cap = new BandwidthCap(1_000_000, now::get); // 1 MB/s: 1 ms per 1000 bytes
    assertEquals(0, cap.reserve(50_000)); // 50 ms of the 100 ms burst
    assertEquals(0, cap.reserve(50_000)); // the burst is used up
    assertEquals(50 * MS, cap.reserve(50_000));
    assertEquals(100 * MS, cap.reserve(50_000));
  }

  @Test
  void theLongRunRateIsTheCap() {
    AtomicLong now = new AtomicLong(0);
    BandwidthCap cap = new BandwidthCap(10_000_000, now::get); // 10 MB/s
    long bytes = 0;
    for (int i = 0; i < 100; i++) {
      long wait = cap.reserve(1_000_000);
      now.addAndGet(wait); // the caller sends when allowed
      bytes += 1_000_000;
    }
    // 100 MB at 10 MB/s: the last request starts at 9.9 s and its bytes take the last 100 ms
    assertEquals(9_900 * MS, now.get());
    assertEquals(100_000_000, bytes);
  }

  @Test
  void idleTimeDoesNotSaveUpMoreThanTheBurst() {
    AtomicLong now = new AtomicLong(0);
    BandwidthCap cap = new BandwidthCap(1_000_000, now::get);
    cap.reserve(10_000);
    now.addAndGet(60_000 * MS); // a minute idle
    assertEquals(0, cap.reserve(100_000));
    assertEquals(10 * MS, cap.reserve(10_000), "only 100 ms worth went free");
  }

  @Test
  void aCapBelowOneByteIsRefused() {
    assertThrows(IllegalArgumentException.class, () -> new BandwidthCap(0, () -> 0));
  }
}
