package dev.cairn.read;

import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Warms the {@link BlockCache} ahead of sequential readers of one stream. FUSE delivers a
 * sequential read as requests (up to 1 MiB with the mount's {@code max_read}, less from other
 * callers) that arrive concurrently and slightly out of order, so a request counts as sequential
 * when it starts within two of its own lengths of where a recent one ended. Each sequential hit
 * doubles that reader's read-ahead window (up to {@link #MAX_WINDOW}), and a miss starts a new
 * track with a window of at least one request, so random access never triggers read-ahead and the
 * first read-ahead covers at least the next request. Several sequential readers are tracked at once
 * (a loop device and a copy of the same file).
 *
 * <p>Loads run on a small shared pool with a bounded queue; when it is full the read-ahead is
 * dropped, so a foreground read never waits for the prefetcher and memory stays bounded by the
 * cache. Inherited blocks are warmed in the parent stream that owns them.
 *
 * <p>Thread-safe.
 */
final class Prefetcher {
  static final int MIN_WINDOW = 256 << 10;
  static final int MAX_WINDOW = 8 << 20;
  private static final int TRACKS = 4;

  /**
   * How far from a track's end a request may start and still count as sequential, in lengths of
   * that request: a couple of requests overtaking each other. Scaling with the request keeps 4 KiB
   * random reads from matching and still tolerates reordered 1 MiB ones.
   */
  private static final int SLACK_REQUESTS = 2;

  /** Sequential requests in a row before reading ahead, so scattered reads never trigger it. */
  private static final int HITS_BEFORE_READ_AHEAD = 3;

  private static final ThreadPoolExecutor POOL = newPool();

  private final StreamReader stream;
  private final long maxWindow;
  private final long[] trackEnd = new long[TRACKS];
  private final long[] trackAhead = new long[TRACKS];
  private final int[] trackWindow = new int[TRACKS];
  private final long[] trackUsed = new long[TRACKS];
  private final int[] trackHits = new int[TRACKS];
  private long clock;
  private final Set<Long> inFlight = ConcurrentHashMap.newKeySet();
  private final Set<Long> loaded = ConcurrentHashMap.newKeySet();
  private static final int MAX_REMEMBERED = 1 << 16;

  Prefetcher(StreamReader stream, long cacheCapacity) {
    this.stream = stream;
    // Never read ahead more than a small part of the cache, or read-ahead evicts itself.
    this.maxWindow = Math.max(stream.blockSize(), Math.min(MAX_WINDOW, cacheCapacity / 8));
    for (int t = 0; t < TRACKS; t++) {
      trackEnd[t] = -1;
    }
  }

  private static ThreadPoolExecutor newPool() {
    int threads = Math.max(1, Runtime.getRuntime().availableProcessors());
    AtomicInteger n = new AtomicInteger();
    ThreadPoolExecutor pool =
        new ThreadPoolExecutor(
            threads,
            threads,
            30,
            TimeUnit.SECONDS,
            new ArrayBlockingQueue<>(256),
            r -> {
              Thread t = new Thread(r, "cairn-prefetch-" + n.incrementAndGet());
              t.setDaemon(true);
              return t;
            },
            // Full queue: drop the read-ahead (and forget it is in flight), never block.
            (r, executor) -> ((Warm) r).dropped());
    pool.allowCoreThreadTimeOut(true);
    return pool;
  }

  /** True while a prefetch of {@code block} is queued or running. */
  boolean isInFlight(long block) {
    return inFlight.contains(block);
  }

  /** Notes a foreground read of {@code [offset, offset + length)} and reads ahead if sequential. */
  void onRead(long offset, int length) {
    long end = offset + length;
    long from;
    long to;
    synchronized (this) {
      int t = find(offset, (long) SLACK_REQUESTS * length);
      clock++;
      if (t < 0) {
        t = leastRecent();
        trackEnd[t] = end;
        trackAhead[t] = end;
        trackWindow[t] = Math.max(MIN_WINDOW, length);
        trackUsed[t] = clock;
        trackHits[t] = 0;
        return;
      }
      trackUsed[t] = clock;
      trackEnd[t] = Math.max(trackEnd[t], end);
      if (++trackHits[t] < HITS_BEFORE_READ_AHEAD) {
        trackAhead[t] = Math.max(trackAhead[t], trackEnd[t]);
        return;
      }
      trackWindow[t] = (int) Math.min(maxWindow, (long) trackWindow[t] * 2);
      from = Math.max(trackAhead[t], trackEnd[t]);
      to = Math.min(stream.size(), trackEnd[t] + trackWindow[t]);
      if (to <= from) {
        return;
      }
      trackAhead[t] = to;
    }
    int shift = Integer.numberOfTrailingZeros(stream.blockSize());
    for (long b = from >>> shift; b <= (to - 1) >>> shift; b++) {
      schedule(b);
    }
  }

  private int find(long offset, long slack) {
    for (int t = 0; t < TRACKS; t++) {
      if (trackEnd[t] >= 0 && offset >= trackEnd[t] - slack && offset <= trackEnd[t] + slack) {
        return t;
      }
    }
    return -1;
  }

  private int leastRecent() {
    int lru = 0;
    for (int t = 1; t < TRACKS; t++) {
      if (trackUsed[t] < trackUsed[lru]) {
        lru = t;
      }
    }
    return lru;
  }

  private void schedule(long block) {
    if (inFlight.add(block)) {
      POOL.execute(new Warm(this, block));
    }
  }

  /** Counts a foreground hit on a block this prefetcher loaded; true if it was one. */
  boolean consume(long block) {
    return loaded.remove(block);
  }

  /** One read-ahead load. */
  private record Warm(Prefetcher owner, long block) implements Runnable {
    @Override
    public void run() {
      try {
        if (owner.stream.warm(block)) {
          if (owner.loaded.size() > MAX_REMEMBERED) {
            owner.loaded.clear(); // only for the hit statistics: forget rather than grow
          }
          owner.loaded.add(block);
        }
      } catch (Exception | OutOfMemoryError e) {
        // The foreground read of this block reports the problem, if it ever comes.
      } finally {
        owner.inFlight.remove(block);
      }
    }

    void dropped() {
      owner.inFlight.remove(block);
    }
  }
}
