package dev.cairn.source;

import java.util.function.IntSupplier;

/**
 * Which chunks to read ahead of one reader of a remote object, decided from the order in which it
 * asks for chunks; it fetches nothing itself. A reader moving forward (the next chunk or the one
 * after: two serving threads may swap neighbours) gets a window of chunks ahead of it that starts
 * at {@code initial} chunks and doubles on each forward step up to a cap: the number of chunks the
 * link needs in flight to stay busy (bandwidth × latency, measured, see {@link LinkEstimate}), at
 * least {@code 2 × initial}, at most {@code max}. A jump elsewhere closes the window: random reads
 * fetch only what they ask for. Read-ahead goes out in runs of adjacent chunks, each one request
 * ({@link ChunkRuns}), a quarter of the window long (at least 1 chunk, at most the granule given),
 * so that about four requests are in flight whatever the window: a small window on a fast link
 * keeps several small requests going, a large one on a slow link fewer requests per byte. The
 * window is refilled whenever a whole run fits in it again, never one chunk per step.
 *
 * <p><b>Thread safety:</b> safe for concurrent use (a step is synchronized, a few comparisons; an
 * access to the chunk read last or a neighbour takes no lock).
 */
final class ReadAheadWindow {
  /**
   * The chunks {@code first..last} (inclusive) to start loading now, as requests of {@code run}
   * chunks.
   */
  record Span(long first, long last, int run) {}

  private final int initial;
  private final int max;
  private final int granule;
  private volatile long last = Long.MIN_VALUE / 2; // written under the lock, read before it too
  private int window;
  private long aheadUpTo = -1;

  /**
   * @param initial the window of a reader that just started moving forward, in chunks (0: never
   *     read ahead)
   * @param max the largest window, in chunks
   */
  ReadAheadWindow(int initial, int max) {
    this(initial, max, 1);
  }

  /**
   * Like {@link #ReadAheadWindow(int, int)}, handing out spans whose length is a multiple of {@code
   * granule} chunks (the most one request fetches) unless they end at the last chunk, so that no
   * request fetches a lone chunk left over from a span.
   */
  ReadAheadWindow(int initial, int max, int granule) {
    this.initial = Math.max(0, initial);
    this.max = Math.max(this.initial, max);
    this.granule = Math.max(1, Math.min(granule, this.max));
  }

  /**
   * Notes that chunk {@code index} is being read and returns the chunks to read ahead of it now, or
   * null.
   *
   * @param lastChunk the object's last chunk index
   * @param linkChunks the chunks the link needs in flight to stay busy (0 if not known yet)
   */
  Span onAccess(long index, long lastChunk, int linkChunks) {
    return onAccess(index, lastChunk, () -> linkChunks);
  }

  /**
   * Like {@link #onAccess(long, long, int)}, asking {@code linkChunks} only on a forward step: the
   * estimate takes a lock, and most accesses are to the chunk read last.
   */
  Span onAccess(long index, long lastChunk, IntSupplier linkChunks) {
    long l = last;
    if (initial == 0 || (index <= l && index >= l - 2)) {
      return null; // the same chunk, or a neighbour served out of order: no news, and no lock
    }
    return step(index, lastChunk, linkChunks);
  }

  private synchronized Span step(long index, long lastChunk, IntSupplier linkChunks) {
    if (index <= last && index >= last - 2) {
      return null; // another thread stepped there meanwhile
    }
    boolean forward = index > last && index - last <= 2;
    last = index;
    if (!forward) {
      window = 0;
      aheadUpTo = index;
      return null;
    }
    int cap = (int) Math.min(max, Math.max(2L * initial, linkChunks.getAsInt()));
    window = window == 0 ? Math.min(initial, cap) : (int) Math.min(cap, 2L * window);
    int run = Math.max(1, Math.min(granule, window / 4));
    long first = Math.max(index + 1, aheadUpTo + 1);
    long end = Math.min(index + window, lastChunk);
    if (end < lastChunk) {
      // whole runs only: the rest goes out with the next step's
      end = first - 1 + (end - first + 1) / run * run;
    }
    if (first > end) {
      return null;
    }
    aheadUpTo = end;
    return new Span(first, end, run);
  }

  /**
   * Takes back the chunks after {@code upTo} from what {@link #onAccess} handed out: they were not
   * started (no budget), so a later step offers them again.
   */
  synchronized void rewind(long upTo) {
    aheadUpTo = Math.min(aheadUpTo, upTo);
  }

  /** The current window, in chunks (for tests and stats). */
  synchronized int window() {
    return window;
  }
}
