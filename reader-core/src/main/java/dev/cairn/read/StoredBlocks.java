package dev.cairn.read;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * The stored bytes of blocks of verified snapshots, already checked, kept in this process's own
 * memory and bounded by bytes: the part of a {@link BlockCache}'s budget that a mount reading under
 * {@code --trust} gives to them ({@link BlockCache#storedBlocks}).
 *
 * <p>An unverified mount leaves stored bytes to the kernel's page cache, which keeps them for free
 * and which it may read at any time. A verified mount cannot: a file's pages can change under it (a
 * shared disk cache, another writer), so every block read from the file is hashed again. Kept here,
 * a block that left the decoded cache is decoded again without being read or hashed, and it costs
 * the budget its stored length (about 2.5 times less than its decoded length for lz4 on a root
 * filesystem), so random reads find far more of the image held.
 *
 * <p>Entries are the bytes a block's decoder would decompress: checked against the signature, their
 * CRC32C, and opened when the snapshot is encrypted. Keys are {@link BlockCache#key}s.
 *
 * <p>Thread-safe; entries are never changed after they are put.
 */
final class StoredBlocks {
  /** How many of the blocks read in pieces last {@link #readLately} remembers. */
  static final int LATELY = 32;

  private final Cache<Long, byte[]> cache;
  private final AtomicLongArray lately = new AtomicLongArray(LATELY);
  private final AtomicInteger next = new AtomicInteger();

  StoredBlocks(long capacityBytes) {
    this.cache =
        Caffeine.newBuilder()
            .maximumWeight(capacityBytes)
            .weigher((Long k, byte[] v) -> v.length + 64)
            .executor(Runnable::run)
            .build();
  }

  /** The kept bytes of the block under {@code key}, or null. */
  byte[] get(long key) {
    return cache.getIfPresent(key);
  }

  /** Keeps a copy of {@code in}'s remaining bytes for {@code key}; {@code in} is left unchanged. */
  void put(long key, ByteBuffer in) {
    byte[] copy = new byte[in.remaining()];
    in.get(in.position(), copy);
    cache.put(key, copy);
  }

  /**
   * Whether {@code key} is among the last {@value #LATELY} keys this was asked about; records it. A
   * verified snapshot decodes a block read in pieces in scratch memory, from its kept stored bytes,
   * and caches no decoded copy: under random reads the collector's work on a block of heap per miss
   * cost more than the rare hit saved. A block read again this soon (a file system reading a
   * block's pages one after another) is cached decoded, as an unverified snapshot's is. Races
   * between threads at most misjudge a block once.
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

  void setCapacity(long capacityBytes) {
    cache.policy().eviction().ifPresent(e -> e.setMaximum(capacityBytes));
  }

  long weightedSize() {
    return cache.policy().eviction().map(e -> e.weightedSize().orElse(0)).orElse(0L);
  }
}
