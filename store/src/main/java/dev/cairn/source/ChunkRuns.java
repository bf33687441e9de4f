package dev.cairn.source;

import java.util.ArrayList;
import java.util.List;

/**
 * Coalescing of missing chunks: adjacent chunk indices become one run, fetched with one ranged
 * request, up to a bound per run so that no single request holds too many bytes in flight or delays
 * the first of its chunks for long. Stateless.
 */
final class ChunkRuns {
  private ChunkRuns() {}

  /** Adjacent chunks {@code first .. first + count - 1}. */
  record Run(long first, int count) {
    long last() {
      return first + count - 1;
    }
  }

  /**
   * {@code indices} (ascending, no repeats) as runs of adjacent chunks of at most {@code maxRun}
   * chunks each, in order.
   *
   * @throws IllegalArgumentException if {@code indices} is not ascending or {@code maxRun < 1}
   */
  static List<Run> of(long[] indices, int maxRun) {
    if (maxRun < 1) {
      throw new IllegalArgumentException("maxRun " + maxRun);
    }
    for (int i = 1; i < indices.length; i++) {
      if (indices[i] <= indices[i - 1]) {
        throw new IllegalArgumentException("indices not ascending at " + indices[i]);
      }
    }
    List<Run> out = new ArrayList<>();
    int i = 0;
    while (i < indices.length) {
      long first = indices[i];
      int count = 1;
      while (i + count < indices.length && count < maxRun && indices[i + count] == first + count) {
        count++;
      }
      out.add(new Run(first, count));
      i += count;
    }
    return out;
  }
}
