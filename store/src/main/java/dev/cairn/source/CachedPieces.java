package dev.cairn.source;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The pieces of one remote object that a {@link ChunkCachingSource} fetches on their own instead of
 * in whole chunks: the 4 KiB-aligned byte range of a scattered read (a block here, an index page
 * there), kept in memory up to a bound and, when there is one, in the object's {@link
 * DiskChunkCache} folder, so that a later read of bytes inside a piece is served without a request,
 * in this process or the next. Pieces may overlap one another and whole chunks; whichever holds a
 * read whole serves it.
 *
 * <p>A read is served by a piece only if the piece holds all of it; the piece store never stitches
 * two pieces together (the bytes of a scattered read come in one request, so one piece holds them).
 * Pieces found on disk are listed once, on the first lookup, and kept in an index by start.
 *
 * <p><b>Thread safety:</b> safe for concurrent use, also by several processes sharing the disk
 * cache (a piece written by another process after the listing is fetched again, not lost).
 */
final class CachedPieces {
  /** The alignment of a piece's start and end (its end is also the object's, at the end). */
  static final int ALIGN = 4096;

  /** How many earlier-starting pieces a lookup checks: pieces rarely overlap, so a few will do. */
  private static final int LOOKBACK = 4;

  private final long size;
  private final DiskChunkCache disk;
  private final long memoryLimit;
  private final ConcurrentSkipListMap<Long, byte[]> memory = new ConcurrentSkipListMap<>();
  private final ConcurrentLinkedQueue<Long> memoryOrder = new ConcurrentLinkedQueue<>();
  private final AtomicLong memoryBytes = new AtomicLong();
  private final Object listing = new Object();
  private volatile ConcurrentSkipListMap<Long, Integer> onDisk;
  private final GuardedFetch fetch;
  private final ConcurrentHashMap<Long, CompletableFuture<byte[]>> loading =
      new ConcurrentHashMap<>();

  /**
   * @param size the object's size
   * @param disk the object's disk cache, or null to keep pieces in memory only
   * @param memoryLimit the bytes of pieces kept in memory (the oldest go first)
   */
  CachedPieces(long size, DiskChunkCache disk, long memoryLimit, GuardedFetch fetch) {
    this.size = size;
    this.disk = disk;
    this.memoryLimit = memoryLimit;
    this.fetch = fetch;
  }

  /** Fetches the {@code length} bytes at {@code position} as a piece unless one holds them. */
  void prefetch(long position, int length) throws IOException {
    if (find(position, length) == null) {
      fetch(position, length, null);
    }
  }

  /**
   * Fetches the {@code length} bytes at {@code position} on their own (4 KiB-aligned) as a new
   * piece, for a caller that found no piece holding them, and copies them into {@code dst} (if not
   * null). Readers of the same piece meanwhile wait for one request.
   */
  void fetch(long position, int length, ByteBuffer dst) throws IOException {
    while (true) {
      long[] range = aligned(position, length);
      CompletableFuture<byte[]> mine = new CompletableFuture<>();
      CompletableFuture<byte[]> running = loading.putIfAbsent(range[0], mine);
      byte[] data;
      if (running != null) {
        data = ChunkLoads.await(running);
        if (range[0] + data.length < position + length) {
          continue; // another reader's piece from the same start, too short for this read
        }
      } else {
        try {
          data = fetch.fetch(range[0], (int) (range[1] - range[0]));
          put(range[0], data);
          mine.complete(data);
        } catch (IOException | RuntimeException | Error e) {
          mine.completeExceptionally(e);
          throw e;
        } finally {
          loading.remove(range[0], mine);
        }
      }
      if (dst != null) {
        dst.put(data, (int) (position - range[0]), length);
      }
      return;
    }
  }

  /** The 4 KiB-aligned range around {@code length} bytes at {@code position}, as {start, end}. */
  private long[] aligned(long position, int length) {
    long start = position - Math.floorMod(position, ALIGN);
    long end = Math.min(size, ceil(position + length));
    return new long[] {start, end};
  }

  private static long ceil(long n) {
    long r = Math.floorMod(n, ALIGN);
    return r == 0 ? n : n + ALIGN - r;
  }

  /**
   * Fills {@code dst} with the bytes at {@code position} if a piece in memory or on disk holds all
   * of them; false (and {@code dst} untouched) if none does.
   */
  boolean read(long position, ByteBuffer dst) {
    int length = dst.remaining();
    Map.Entry<Long, byte[]> p = find(position, length);
    if (p == null) {
      return false;
    }
    dst.put(p.getValue(), (int) (position - p.getKey()), length);
    return true;
  }

  /**
   * Whether a piece in memory, or one listed on disk, holds the {@code length} bytes at {@code
   * position}; reads no piece.
   */
  boolean holds(long position, int length) {
    return inMemory(position, length) != null || listedOnDisk(position, length) != null;
  }

  /**
   * A piece, as its start and bytes, that holds the {@code length} bytes at {@code position}: from
   * memory, else from disk (then kept in memory too); null if none does.
   */
  private Map.Entry<Long, byte[]> find(long position, int length) {
    Map.Entry<Long, byte[]> m = inMemory(position, length);
    if (m != null) {
      return m;
    }
    Map.Entry<Long, Integer> e = listedOnDisk(position, length);
    if (e == null) {
      return null;
    }
    byte[] data = disk.getPiece(e.getKey(), e.getValue());
    if (data == null) {
      diskIndex().remove(e.getKey(), e.getValue()); // gone, or not intact (then deleted)
      return null;
    }
    remember(e.getKey(), data);
    return Map.entry(e.getKey(), data);
  }

  /** The piece in memory that holds the range, or null. */
  private Map.Entry<Long, byte[]> inMemory(long position, int length) {
    Map.Entry<Long, byte[]> m = memory.floorEntry(position);
    for (int i = 0; i < LOOKBACK && m != null; i++, m = memory.lowerEntry(m.getKey())) {
      if (m.getKey() + m.getValue().length >= position + length) {
        return m;
      }
    }
    return null;
  }

  /** The piece listed on disk (as start and length) that holds the range, or null. */
  private Map.Entry<Long, Integer> listedOnDisk(long position, int length) {
    if (disk == null) {
      return null;
    }
    ConcurrentSkipListMap<Long, Integer> index = diskIndex();
    Map.Entry<Long, Integer> e = index.floorEntry(position);
    for (int i = 0; i < LOOKBACK && e != null; i++, e = index.lowerEntry(e.getKey())) {
      if (e.getKey() + e.getValue() >= position + length) {
        return e;
      }
    }
    return null;
  }

  /** Keeps a piece just fetched: in memory, and on disk if there is a disk cache. */
  void put(long start, byte[] data) {
    if (disk != null && disk.putPiece(start, data)) {
      diskIndex().merge(start, data.length, Math::max);
    }
    remember(start, data);
  }

  private void remember(long start, byte[] data) {
    byte[] old = memory.get(start);
    if (old != null && old.length >= data.length) {
      return; // the longer piece stays
    }
    old = memory.put(start, data);
    if (old == null) {
      memoryOrder.add(start);
    }
    memoryBytes.addAndGet(data.length - (old == null ? 0 : old.length));
    while (memoryBytes.get() > memoryLimit) {
      Long oldest = memoryOrder.poll();
      if (oldest == null) {
        break;
      }
      byte[] gone = memory.remove(oldest);
      if (gone != null) {
        memoryBytes.addAndGet(-gone.length);
      }
    }
  }

  /** Drops every piece that overlaps the range, from memory and from disk. */
  void invalidate(long position, int length) {
    long end = position + length;
    for (Map.Entry<Long, byte[]> e : memory.headMap(end).entrySet()) {
      if (e.getKey() + e.getValue().length > position && memory.remove(e.getKey(), e.getValue())) {
        memoryBytes.addAndGet(-e.getValue().length);
      }
    }
    if (disk != null) {
      ConcurrentSkipListMap<Long, Integer> index = diskIndex();
      for (Map.Entry<Long, Integer> e : index.headMap(end).entrySet()) {
        if (e.getKey() + e.getValue() > position) {
          disk.removePiece(e.getKey(), e.getValue());
          index.remove(e.getKey(), e.getValue());
        }
      }
    }
  }

  /**
   * Forgets the pieces lying wholly inside {@code start..end} and deletes their files: a whole
   * chunk of those bytes is cached now (on disk before this is called), so they only take space.
   */
  void dropWithin(long start, long end) {
    for (Map.Entry<Long, byte[]> e : memory.subMap(start, end).entrySet()) {
      if (e.getKey() + e.getValue().length <= end && memory.remove(e.getKey(), e.getValue())) {
        memoryBytes.addAndGet(-e.getValue().length);
      }
    }
    if (disk != null && onDisk != null) {
      for (Map.Entry<Long, Integer> e : onDisk.subMap(start, end).entrySet()) {
        if (e.getKey() + e.getValue() <= end && onDisk.remove(e.getKey(), e.getValue())) {
          disk.removePiece(e.getKey(), e.getValue());
        }
      }
    }
  }

  /** The bytes the pieces known to this process hold (on disk if there is a disk cache). */
  long bytes() {
    if (disk == null) {
      return memoryBytes.get();
    }
    long n = 0;
    for (int length : diskIndex().values()) {
      n += length;
    }
    return n;
  }

  private ConcurrentSkipListMap<Long, Integer> diskIndex() {
    ConcurrentSkipListMap<Long, Integer> index = onDisk;
    if (index == null) {
      synchronized (listing) {
        index = onDisk;
        if (index == null) {
          index = new ConcurrentSkipListMap<>(disk.pieces());
          onDisk = index;
        }
      }
    }
    return index;
  }
}
