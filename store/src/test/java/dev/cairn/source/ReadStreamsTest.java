package dev.cairn.source;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ReadStreamsTest {
  private static final int K = 1024;

  @Test
  void contiguousReadsBecomeSequentialAtTheThreshold() {
    ReadStreams s = new ReadStreams(256 * K);
    for (int i = 0; i < 3; i++) {
      assertFalse(s.sequential(i * 64L * K, 64 * K), "read " + i);
    }
    assertTrue(s.sequential(3 * 64L * K, 64 * K));
    assertTrue(s.sequential(4 * 64L * K, 64 * K));
  }

  @Test
  void aJumpStartsANewStream() {
    ReadStreams s = new ReadStreams(256 * K);
    assertFalse(s.sequential(0, 128 * K));
    assertFalse(s.sequential(100L << 20, 128 * K), "elsewhere: a new stream");
    assertTrue(s.sequential((100L << 20) + 128 * K, 128 * K));
    assertFalse(s.sequential(50L << 20, 4 * K));
    assertFalse(s.sequential(128 * K, 4 * K), "the first stream had read 132 KiB");
  }

  /**
   * The kernel's read-ahead of 1 MiB served by several threads: four runs of 256 KiB interleaved,
   * each in order: sequential after 512 KiB read, the reads covering half of their extent.
   */
  @Test
  void interleavedRunsOfOneReadAheadAreOneStream() {
    ReadStreams s = new ReadStreams(512 * K);
    int read = 0;
    boolean seen = false;
    for (int i = 0; i < 4 && !seen; i++) {
      for (int run = 0; run < 4 && !seen; run++) {
        seen = s.sequential(run * 256L * K + i * 64L * K, 64 * K);
        read += 64 * K;
      }
    }
    assertTrue(seen);
    assertTrue(read <= 512 * K, read + " bytes before it was seen");
  }

  /** Two readers interleaved, each slightly out of order, are told apart and each followed. */
  @Test
  void interleavedStreamsAreFollowedEachOnItsOwn() {
    ReadStreams s = new ReadStreams(256 * K);
    long a = 0;
    long b = 500L << 20;
    boolean[] last = new boolean[2];
    for (int i = 0; i < 8; i++) {
      // a serving thread finishes the second half first now and then
      long off = (i % 2 == 0) ? 32L * K : 0;
      last[0] = s.sequential(a + i * 64L * K + off, 32 * K);
      last[0] = s.sequential(a + i * 64L * K + (32L * K - off), 32 * K);
      last[1] = s.sequential(b + i * 64L * K, 64 * K);
    }
    assertTrue(last[0]);
    assertTrue(last[1]);
  }

  @Test
  void aThresholdOfZeroMakesEveryReadSequential() {
    assertTrue(new ReadStreams(0).sequential(12345, 1));
  }

  /**
   * Scattered small reads near one another (a tenth of what they span) never add up to a sequential
   * stream; reading on from there in order turns the stream sequential.
   */
  @Test
  void scatteredReadsStayScattered() {
    ReadStreams s = new ReadStreams(256 * K);
    for (int i = 0; i < 100; i++) {
      assertFalse(s.sequential(i * 300L * K, 30 * K), "read " + i);
    }
    long at = 100 * 300L * K;
    boolean seen = false;
    for (int i = 0; i < 64 && !seen; i++) {
      seen = s.sequential(at + i * 64L * K, 64 * K);
    }
    assertTrue(seen);
  }
}
