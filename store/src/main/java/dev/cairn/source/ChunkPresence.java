package dev.cairn.source;

import java.util.BitSet;

/**
 * Which whole chunks of one remote object a {@link ChunkCachingSource} knows to be cached: in its
 * {@link DiskChunkCache} when it has one, else in memory. Found on disk the first time anyone asks
 * for the count (a scan of the object's chunk files, which would slow the first read if it ran on
 * that read's path), then kept up to date as chunks are installed and dropped. It feeds the {@code
 * cached_bytes} figure of stats.json; reads never consult it.
 *
 * <p>Thread-safe: one lock guards the bitmap.
 */
final class ChunkPresence {
  private final long size;
  private final long lastChunk;
  private final DiskChunkCache disk;
  private BitSet present; // guarded by this; null until the first count when there is a disk

  /**
   * @param size the object's size
   * @param disk the object's disk cache, or null when chunks are kept in memory only
   */
  ChunkPresence(long size, DiskChunkCache disk) {
    this.size = size;
    this.lastChunk = Math.max(0, (size - 1) / ChunkCachingSource.CHUNK);
    this.disk = disk;
  }

  /**
   * Counts chunk {@code index} as cached. Before anyone asked for the count there is nothing to
   * update: the first count finds the chunk on disk, where it was put before this is called.
   */
  synchronized void installed(long index) {
    if (present != null || disk == null) {
      bitmap().set((int) index);
    }
  }

  /** Chunk {@code index} is no longer cached. */
  synchronized void dropped(long index) {
    if (present != null) {
      present.clear((int) index);
    }
  }

  /** The bytes of the object in cached whole chunks. */
  synchronized long cachedBytes() {
    BitSet p = bitmap();
    long cached = (long) p.cardinality() * ChunkCachingSource.CHUNK;
    if (p.get((int) lastChunk)) {
      cached -= (lastChunk + 1) * ChunkCachingSource.CHUNK - size; // the last one is shorter
    }
    return Math.max(0, cached);
  }

  private BitSet bitmap() {
    if (present == null) {
      present = new BitSet();
      if (disk != null) {
        for (long c = 0; c <= lastChunk && size > 0; c++) {
          if (disk.has(c, ChunkCachingSource.chunkLength(size, c))) {
            present.set((int) c);
          }
        }
      }
    }
    return present;
  }
}
