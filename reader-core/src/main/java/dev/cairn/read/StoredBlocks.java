package dev.cairn.read;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import java.nio.ByteBuffer;

/**
 * The stored bytes of blocks of verified snapshots, already checked, kept in this process's own
 * memory and bounded by bytes: the part of a {@link BlockCache}'s budget that a mount reading under
 * {@code --trust} gives to them ({@link BlockCache#storedBlocks}).
 *
 * <p>An unverified mount leaves stored bytes to the kernel's page cache, which keeps them for free
 * and which it may read at any time. A verified mount cannot: a file's pages can change under it (a
 * shared disk cache, another writer), so every block read from the file is hashed again. Kept here,
 * a block read again is decoded without being read or hashed, and it costs the budget its stored
 * length (about 2.5 times less than its decoded length for lz4 on a root filesystem), so random
 * reads find far more of the image held.
 *
 * <p>Entries are the bytes a block's decoder would decompress: checked against the signature, their
 * CRC32C, and opened when the snapshot is encrypted. Keys are {@link BlockCache#key}s.
 *
 * <p>Thread-safe; entries are never changed after they are put.
 */
final class StoredBlocks {
  private final Cache<Long, byte[]> cache;

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

  void setCapacity(long capacityBytes) {
    cache.policy().eviction().ifPresent(e -> e.setMaximum(capacityBytes));
  }

  long weightedSize() {
    return cache.policy().eviction().map(e -> e.weightedSize().orElse(0)).orElse(0L);
  }
}
