package dev.cairn.source;

import dev.cairn.error.UsageException;
import java.io.IOException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The disk cache of remote chunks as a whole, for {@code cairn cache ls|du|prune}: what it holds
 * per object version, how much, and pruning by age or size. It works only on what {@link CacheRoot}
 * recognises as the cache's own (names of its forms, regular files, KEY folders that pass the
 * ownership rule): it never deletes anything Cairn did not create, and it follows no symbolic link.
 *
 * <p>Not thread-safe; mounts may use the cache meanwhile (a chunk deleted under a reader is fetched
 * again).
 */
public final class CacheFolder {
  private final CacheRoot root;

  private CacheFolder(CacheRoot root) {
    this.root = root;
  }

  /**
   * The cache as configured ({@code CAIRN_CACHE_DIR}, {@code CAIRN_CACHE_LIMIT}).
   *
   * @throws UsageException if caching is off or the folder is refused (then a warning line has said
   *     why)
   */
  public static CacheFolder configured() throws UsageException {
    CacheRoot r = CacheRoot.configured();
    if (r == null) {
      throw new UsageException(
          "there is no usable disk cache (CAIRN_CACHE_DIR is none, or its folder cannot be made"
              + " or was refused)");
    }
    return new CacheFolder(r);
  }

  /** The folder the user named (ROOT, holding {@code cairn-chunks-v1}). */
  public Path folder() {
    return root.path.getParent();
  }

  /** The limit the cache is kept under, in bytes. */
  public long limit() {
    return root.limit();
  }

  /**
   * One object version in the cache.
   *
   * @param key its KEY folder name
   * @param url its URL, or null if no record names it (an older version of a URL, whose record now
   *     describes the newer one)
   * @param size the object's size, or -1 if unknown
   * @param validator its ETag or Last-Modified, or null
   * @param chunks chunk files held (whole chunks)
   * @param pieces piece files held (byte ranges fetched on their own, {@link CachedPieces})
   * @param bytes the size of both on disk
   * @param dataBytes the object's bytes they hold (a byte in a piece and in a chunk counts twice)
   * @param lastUsed when a chunk of it was last written or read
   */
  public record Entry(
      String key,
      String url,
      long size,
      String validator,
      long chunks,
      long pieces,
      long bytes,
      long dataBytes,
      Instant lastUsed) {
    /** The share of the object held, in percent (0 when its size is unknown). */
    public double percent() {
      return size <= 0
          ? (size == 0 ? 100 : 0)
          : Math.min(100.0, Math.round(1000.0 * dataBytes / size) / 10.0);
    }
  }

  /** What the cache holds, per object version, most recently used first. */
  public List<Entry> list() {
    Map<String, ObjectRecord> records = new HashMap<>();
    for (Path f : root.listing.recordFiles()) {
      ObjectRecord o = ObjectRecord.read(f, null);
      if (o != null) {
        records.put(DiskChunkCache.keyOf(o), o);
      }
    }
    Map<String, long[]> perKey = new LinkedHashMap<>(); // chunks, bytes, data, last used, pieces
    for (CacheListing.Entry e : root.listing.scan()) {
      String key = e.file().getParent().getFileName().toString();
      long[] t = perKey.computeIfAbsent(key, k -> new long[5]);
      t[CacheListing.PIECE_NAME.matcher(e.file().getFileName().toString()).matches() ? 4 : 0]++;
      t[1] += e.size();
      t[2] += Math.max(0, e.size() - ChunkFile.fileSize(0));
      t[3] = Math.max(t[3], e.touched().toMillis());
    }
    List<Entry> out = new ArrayList<>();
    for (Map.Entry<String, long[]> k : perKey.entrySet()) {
      ObjectRecord o = records.get(k.getKey());
      long[] t = k.getValue();
      out.add(
          new Entry(
              k.getKey(),
              o == null ? null : o.url(),
              o == null ? -1 : o.size(),
              o == null ? null : o.validator(),
              t[0],
              t[4],
              t[1],
              t[2],
              Instant.ofEpochMilli(t[3])));
    }
    out.sort(Comparator.comparing(Entry::lastUsed).reversed());
    return out;
  }

  /** What pruning did. */
  public record Pruned(long chunks, long bytes, long remainingBytes) {}

  /**
   * Deletes the chunks not used for {@code olderThanMillis} (if not negative), then the least
   * recently used ones until the cache holds at most {@code maxSize} bytes (if not negative); then
   * KEY folders left empty and records of object versions with no chunks left.
   */
  public Pruned prune(long olderThanMillis, long maxSize) {
    long cutoff =
        olderThanMillis < 0 ? Long.MIN_VALUE : System.currentTimeMillis() - olderThanMillis;
    Pruned p = root.deleteOldest(cutoff, maxSize < 0 ? Long.MAX_VALUE : maxSize);
    removeEmptyKeys();
    return p;
  }

  /** Removes KEY folders with nothing in them and records whose KEY folder is gone. */
  private void removeEmptyKeys() {
    List<Path> keys = root.listing.keyFolders();
    for (Path k : keys) {
      try {
        Files.delete(k); // only if empty
      } catch (DirectoryNotEmptyException e) {
        // still holds chunks
      } catch (IOException e) {
        // removed meanwhile
      }
    }
    for (Path f : root.listing.recordFiles()) {
      ObjectRecord o = ObjectRecord.read(f, null);
      if (o != null && !Files.exists(root.path.resolve(DiskChunkCache.keyOf(o)))) {
        CacheRoot.delete(f);
      }
    }
  }
}
