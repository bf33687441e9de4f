package dev.cairn.source;

/**
 * Tells a reader moving through a remote object from one jumping about in it, from the ranges it
 * reads; it fetches nothing itself. It follows up to {@value #SLOTS} streams of reads, each the
 * extent its reads have covered and the bytes they read: a read that overlaps a stream's extent or
 * lies within the slack of it joins it (a sequential reader's reads arrive out of order from
 * several serving threads, and the kernel's read-ahead splits them into interleaved runs: a slack
 * of 1 MiB for reads; a background fetch of a profile's runs, whose runs are scattered but dense,
 * wants a slack of a page), any other read starts a new stream in place of the one used longest
 * ago. A stream is sequential once it has read the threshold and at least half of its extent: then
 * it is worth whole chunks and read-ahead. A boot or a model load reads a few blocks here and a few
 * there: its streams stay sparse, and a whole chunk for each of its reads would fetch several times
 * what it reads. A stream that grows large while staying sparse (under an eighth of its extent)
 * starts again at its latest read, so that a reader turning sequential where it once read scattered
 * blocks is seen as such.
 *
 * <p><b>Thread safety:</b> safe for concurrent use (synchronized; each call is a few comparisons).
 */
final class ReadStreams {
  private static final int SLOTS = 8;

  private static final long SLACK = 1 << 20;

  private final long threshold;
  private final long[] starts = new long[SLOTS];
  private final long[] ends = new long[SLOTS];
  private final long[] bytes = new long[SLOTS];
  private final long[] used = new long[SLOTS];
  private long clock;

  /**
   * @param threshold the bytes a stream reads, covering at least half of its extent, before it
   *     counts as sequential; 0 makes every read sequential
   */
  ReadStreams(long threshold) {
    this.threshold = Math.max(0, threshold);
    java.util.Arrays.fill(starts, Long.MIN_VALUE / 2);
    java.util.Arrays.fill(ends, Long.MIN_VALUE / 2);
  }

  /**
   * Notes a read of {@code length} bytes at {@code position}; true if it is part of a sequential
   * stream.
   */
  synchronized boolean sequential(long position, int length) {
    if (threshold == 0) {
      return true;
    }
    long end = position + length;
    int slot = -1;
    int oldest = 0;
    for (int i = 0; i < SLOTS; i++) {
      if (position <= ends[i] + SLACK && end >= starts[i] - SLACK) {
        slot = i;
        break;
      }
      if (used[i] < used[oldest]) {
        oldest = i;
      }
    }
    if (slot < 0) {
      slot = oldest;
      restart(slot, position, end);
    } else {
      starts[slot] = Math.min(starts[slot], position);
      ends[slot] = Math.max(ends[slot], end);
      bytes[slot] += length;
      long extent = ends[slot] - starts[slot];
      if (extent > 8 * threshold && bytes[slot] * 8 < extent) {
        restart(slot, position, end);
      }
    }
    used[slot] = ++clock;
    return bytes[slot] >= threshold && bytes[slot] * 2 >= ends[slot] - starts[slot];
  }

  /**
   * Whether a read of {@code length} bytes at {@code position} would join a stream that is
   * sequential already; notes nothing.
   */
  synchronized boolean isSequential(long position, int length) {
    if (threshold == 0) {
      return true;
    }
    long end = position + length;
    for (int i = 0; i < SLOTS; i++) {
      if (position <= ends[i] + SLACK && end >= starts[i] - SLACK) {
        return bytes[i] >= threshold && bytes[i] * 2 >= ends[i] - starts[i];
      }
    }
    return false;
  }

  private void restart(int slot, long position, long end) {
    starts[slot] = position;
    ends[slot] = end;
    bytes[slot] = end - position;
  }
}
