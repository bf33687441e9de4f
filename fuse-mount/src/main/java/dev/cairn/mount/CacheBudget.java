package dev.cairn.mount;

import dev.cairn.read.BlockCache;
import java.util.IdentityHashMap;
import java.util.Map;

/**
 * The one byte budget that the block caches of all mounts in a serving process share (the heap is
 * sized for it once, when the process starts). Each mount asks for its {@code --cache-size}; while
 * the requests add up to no more than the budget every mount gets what it asked for, otherwise
 * every cap is scaled down by the same factor (at least 1 MiB each), and re-scaled as mounts come
 * and go. So {@code --cache-size} stays a cap for its mount and the sum of all caps never exceeds
 * the budget: one mount's busy cache can neither grow another's nor exhaust the shared heap.
 *
 * <p>Proportional caps rather than one shared Caffeine cache: each mount keeps its own cache and
 * eviction, so nothing one mount does evicts another's blocks behind its back, and dropping a mount
 * drops exactly its blocks.
 *
 * <p>Thread-safe.
 */
final class CacheBudget {
  private static final long MIN_CAP = 1 << 20;

  private final long budget;
  private final Map<BlockCache, Long> requested = new IdentityHashMap<>();

  /** A budget of {@code budget} bytes for all caches together. */
  CacheBudget(long budget) {
    this.budget = budget;
  }

  long budget() {
    return budget;
  }

  /** Adds a mount's cache, which asked for {@code bytes}; re-divides the budget. */
  synchronized void add(BlockCache cache, long bytes) {
    requested.put(cache, bytes);
    rebalance();
  }

  /** Removes a closed mount's cache; the others may grow back towards what they asked for. */
  synchronized void remove(BlockCache cache) {
    if (requested.remove(cache) != null) {
      rebalance();
    }
  }

  /** The cap {@code bytes} of a request gets when all requests add up to {@code sum}. */
  static long cap(long bytes, long sum, long budget) {
    if (sum <= budget) {
      return bytes;
    }
    return Math.max(MIN_CAP, (long) ((double) bytes * budget / sum));
  }

  private void rebalance() {
    long sum = 0;
    for (long b : requested.values()) {
      sum += b;
    }
    for (Map.Entry<BlockCache, Long> e : requested.entrySet()) {
      long cap = cap(e.getValue(), sum, budget);
      if (e.getKey().capacity() != cap) {
        e.getKey().setCapacity(cap);
      }
    }
  }
}
