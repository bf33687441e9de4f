package dev.cairn.read;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.cairn.config.Tuning;
import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.function.Function;

/**
 * Decompressed blocks, shared by every snapshot in a chain, bounded by bytes (Caffeine's W-TinyLFU
 * policy): blocks read whole by read-ahead, and blocks read in pieces again soon ({@link
 * #readLately}). A miss is loaded once even when many threads ask for the same block at the same
 * time, and with no lock held: a load that waits on a stalled server holds up only the readers of
 * its own block (a load inside Caffeine's compute would lock its hash bin, and so other blocks'
 * misses).
 *
 * <p>Cached buffers are read-only and never recycled, so a reader copying out of a buffer that is
 * being evicted still sees the right bytes.
 *
 * <p>A verified snapshot opened on this cache asks for {@link #storedBlocks}: from then on {@link
 * #STORED_SHARE} of the budget keeps its checked stored bytes and the rest its decoded blocks.
 *
 * <p>Thread-safe.
 */
public final class BlockCache {
  private final Cache<Long, ByteBuffer> cache;
  private final ConcurrentHashMap<Long, CompletableFuture<ByteBuffer>> loading =
      new ConcurrentHashMap<>();
  private final AtomicInteger owners = new AtomicInteger();
  private volatile long capacity;
  private final boolean prefetch;
  private volatile StoredBlocks stored;

  /** How many of the blocks last read in pieces {@link #readLately} remembers. */
  static final int LATELY = 32;

  private final AtomicLongArray lately = new AtomicLongArray(LATELY);
  private final AtomicInteger next = new AtomicInteger();

  /**
   * The share of the budget that checked stored bytes get once a verified snapshot uses the cache.
   * A kept stored block saves a miss its read and its hash and costs about 2.5 times less than a
   * decoded one; decoded copies are cached only of blocks read again soon ({@link #readLately}),
   * which the rest holds.
   */
  static final double STORED_SHARE = 0.9;

  private BlockCache(long capacityBytes, boolean prefetch) {
    this.capacity = capacityBytes;
    this.prefetch = prefetch;
    this.cache =
        Caffeine.newBuilder()
            .maximumWeight(capacityBytes)
            .weigher((Long k, ByteBuffer v) -> v.capacity() + 96)
            .executor(Runnable::run)
            .build();
  }

  /** A cache holding at most about {@code capacityBytes} of decompressed data. */
  public static BlockCache withCapacity(long capacityBytes) {
    return new BlockCache(capacityBytes, Tuning.current().prefetch());
  }

  /**
   * The same capacity, with sequential read-ahead into this cache switched on or off for the
   * streams that use it (see {@link Prefetcher}). Off by default: on local files the kernel's own
   * read-ahead already keeps both cores decompressing, and measured here read-ahead into the cache
   * only added copies (system property {@code cairn.prefetch=true} turns it on).
   */
  public BlockCache withPrefetch(boolean on) {
    return new BlockCache(capacity, on);
  }

  /** Whether streams reading through this cache read ahead. */
  public boolean prefetch() {
    return prefetch;
  }

  public long capacity() {
    return capacity;
  }

  /**
   * Changes the bound to {@code capacityBytes}, evicting down to it at once if it shrank: a serving
   * process with many mounts shares one byte budget among their caches and re-divides it as mounts
   * come and go.
   */
  public synchronized void setCapacity(long capacityBytes) {
    capacity = capacityBytes;
    if (stored != null) {
      stored.setCapacity(storedPart(capacityBytes));
    }
    long decoded = stored == null ? capacityBytes : capacityBytes - storedPart(capacityBytes);
    cache.policy().eviction().ifPresent(e -> e.setMaximum(decoded));
  }

  /**
   * The part of the budget that keeps the checked stored bytes of verified snapshots' blocks,
   * created on the first call, which moves {@link #STORED_SHARE} of the budget to it.
   */
  synchronized StoredBlocks storedBlocks() {
    if (stored == null) {
      stored = new StoredBlocks(storedPart(capacity));
      setCapacity(capacity);
    }
    return stored;
  }

  private static long storedPart(long capacityBytes) {
    return (long) (capacityBytes * STORED_SHARE);
  }

  /** A fresh owner id; each snapshot in a chain takes one so their keys never collide. */
  int newOwner() {
    int id = owners.incrementAndGet();
    if (id >= 1 << 15) {
      throw new IllegalStateException("too many snapshots share one block cache");
    }
    return id;
  }

  static long key(int owner, int stream, long block) {
    return ((long) owner << 48) | ((long) stream << 47) | block;
  }

  ByteBuffer getIfPresent(long key) {
    return cache.getIfPresent(key);
  }

  /**
   * Returns the cached block, loading it with {@code loader} if absent. Loader failures propagate
   * as {@link UncheckedBlockException} carrying the original {@link java.io.IOException}.
   */
  ByteBuffer get(long key, Function<Long, ByteBuffer> loader) {
    ByteBuffer b = cache.getIfPresent(key);
    if (b != null) {
      return b;
    }
    CompletableFuture<ByteBuffer> mine = new CompletableFuture<>();
    CompletableFuture<ByteBuffer> running = loading.putIfAbsent(key, mine);
    if (running != null) {
      try {
        return running.join();
      } catch (java.util.concurrent.CompletionException e) {
        throw e.getCause() instanceof RuntimeException r ? r : e;
      }
    }
    try {
      b = cache.getIfPresent(key);
      if (b == null) {
        b = loader.apply(key);
        cache.put(key, b);
      }
      mine.complete(b);
      return b;
    } catch (RuntimeException | Error e) {
      mine.completeExceptionally(e);
      throw e;
    } finally {
      loading.remove(key, mine);
    }
  }

  /**
   * Whether {@code key} is among the last {@value #LATELY} keys this cache was asked about; records
   * it. A part of a block that is not cached is decoded in scratch memory and cached nowhere: under
   * random 4 KiB reads the collector's work on a block of heap per miss (copied to the old
   * generation, then compacted away) cost more than the hits the cache gave, which were about a
   * quarter of the reads of a 1 GiB image with a 256 MiB cache (read.sh's fio 4 KiB random reads of
   * half the image, fresh mounts, caching every block against caching none: lz4 4 jobs
   * 26,000-28,000 against 38,500-38,900 IOPS, 1 job 12,900 against 15,700; zstd 4 jobs 23,500-
   * 23,900 against 27,500-29,100, 1 job 11,400 against 12,600). A block read again this soon, as a
   * file system reading a block's pages one after another does, is decoded into the cache and its
   * next pieces are hits. Races between threads at most misjudge a block once.
   */
  boolean readLately(long key) {
    long stamp = key + 1; // 0 marks an empty slot
    for (int i = 0; i < LATELY; i++) {
      if (lately.get(i) == stamp) {
        return true;
      }
    }
    lately.set(Math.floorMod(next.getAndIncrement(), LATELY), stamp);
    return false;
  }

  /** Bytes currently held. */
  public long weightedSize() {
    StoredBlocks s = stored;
    long decoded = cache.policy().eviction().map(e -> e.weightedSize().orElse(0)).orElse(0L);
    return decoded + (s == null ? 0 : s.weightedSize());
  }
}
