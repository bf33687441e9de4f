package dev.cairn.store;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import java.util.zip.CRC32C;

/**
 * The local, persistent cache of remote objects' chunks that makes a fleet of machines fetch each
 * block of a published snapshot once: a chunk read from an HTTP or S3 object is kept on local disk
 * and served from there by every later read, in this process or the next.
 *
 * <p>Layout: {@code ROOT/KEY/INDEX}, one file per {@link RemoteByteSource#CHUNK}-byte chunk,
 * holding the chunk's bytes and then their CRC32C (4 bytes, little-endian). KEY hashes the object's
 * URL, size and validator (ETag or Last-Modified), so a changed object gets new chunks instead of
 * stale ones. A file is written under a temporary name and renamed, so readers (several mounts may
 * share the cache) see a whole chunk or none; a chunk whose length or CRC does not match is deleted
 * and fetched again. When the cache grows past its limit, the least recently used chunks go (a hit
 * touches the file's mtime).
 *
 * <p>ROOT is {@code $CAIRN_CACHE_DIR}, else {@code $XDG_CACHE_HOME/cairn/remote}, else {@code
 * ~/.cache/cairn/remote}; {@code CAIRN_CACHE_DIR=none} turns the cache off. The limit is {@code
 * $CAIRN_CACHE_LIMIT} (a size such as {@code 20G}), default 8 GiB. System properties {@code
 * cairn.cacheDir} and {@code cairn.cacheLimit} take precedence (tests).
 *
 * <p><b>Thread safety:</b> safe for concurrent use, also by several processes.
 */
final class DiskChunkCache {
  private static final long DEFAULT_LIMIT = 8L << 30;
  private static final Object ROOTS_LOCK = new Object();
  private static Root shared;

  private final Root root;
  private final Path dir;

  private DiskChunkCache(Root root, Path dir) {
    this.root = root;
    this.dir = dir;
  }

  /**
   * The cache for one remote object, or null if caching is off or its directory cannot be made.
   *
   * @param url the object's URL, without credentials
   * @param validator the server's ETag or Last-Modified (null if it gave none: then only the size
   *     tells versions apart)
   */
  static DiskChunkCache forObject(String url, long size, String validator) {
    Root r = root();
    if (r == null) {
      return null;
    }
    String key = sha256(url + "\n" + size + "\n" + (validator == null ? "" : validator));
    return new DiskChunkCache(r, r.path.resolve(key.substring(0, 32)));
  }

  /** Chunk {@code index} if cached whole and intact ({@code length} bytes), else null. */
  byte[] get(long index, int length) {
    Path f = dir.resolve(Long.toString(index));
    byte[] b;
    try {
      b = Files.readAllBytes(f);
    } catch (IOException e) {
      return null; // not cached (or unreadable: then it is fetched again)
    }
    if (b.length != length + 4
        || crc(b, length)
            != ByteBuffer.wrap(b, length, 4).order(ByteOrder.LITTLE_ENDIAN).getInt()) {
      delete(f);
      return null;
    }
    try {
      Files.setLastModifiedTime(f, FileTime.from(Instant.now()));
    } catch (IOException e) {
      // only the eviction order suffers
    }
    byte[] data = new byte[length];
    System.arraycopy(b, 0, data, 0, length);
    return data;
  }

  /** Stores chunk {@code index}; a failure (full disk, read-only cache) only means no caching. */
  void put(long index, byte[] data) {
    Path f = dir.resolve(Long.toString(index));
    Path tmp =
        dir.resolve(
            ".tmp-" + index + "-" + Long.toHexString(ThreadLocalRandom.current().nextLong()));
    try {
      Files.createDirectories(dir);
      byte[] b = new byte[data.length + 4];
      System.arraycopy(data, 0, b, 0, data.length);
      ByteBuffer.wrap(b, data.length, 4).order(ByteOrder.LITTLE_ENDIAN).putInt(crc(b, data.length));
      Files.write(tmp, b);
      try {
        Files.move(tmp, f, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(tmp, f, StandardCopyOption.REPLACE_EXISTING);
      }
      root.added(b.length);
    } catch (IOException e) {
      delete(tmp);
    }
  }

  private static int crc(byte[] b, int length) {
    CRC32C c = new CRC32C();
    c.update(b, 0, length);
    return (int) c.getValue();
  }

  private static void delete(Path f) {
    try {
      Files.deleteIfExists(f);
    } catch (IOException e) {
      // a later write replaces it
    }
  }

  private static Root root() {
    String dir = setting("cairn.cacheDir", "CAIRN_CACHE_DIR");
    if ("none".equals(dir) || "off".equals(dir)) {
      return null;
    }
    Path path;
    if (dir != null) {
      path = Path.of(dir);
    } else {
      String xdg = System.getenv("XDG_CACHE_HOME");
      path =
          (xdg != null && !xdg.isBlank()
                  ? Path.of(xdg)
                  : Path.of(System.getProperty("user.home"), ".cache"))
              .resolve("cairn")
              .resolve("remote");
    }
    long limit = DEFAULT_LIMIT;
    String l = setting("cairn.cacheLimit", "CAIRN_CACHE_LIMIT");
    if (l != null) {
      try {
        limit = Sizes.parse(l);
      } catch (IllegalArgumentException e) {
        // a bad limit keeps the default rather than failing every read
      }
    }
    synchronized (ROOTS_LOCK) {
      Path abs = path.toAbsolutePath().normalize();
      if (shared == null || !shared.path.equals(abs) || shared.limit != limit) {
        try {
          Files.createDirectories(abs);
        } catch (IOException e) {
          return null;
        }
        shared = new Root(abs, limit);
      }
      return shared;
    }
  }

  private static String setting(String property, String env) {
    String v = System.getProperty(property);
    if (v == null || v.isBlank()) {
      v = System.getenv(env);
    }
    return v == null || v.isBlank() ? null : v.trim();
  }

  private static String sha256(String s) {
    try {
      return HexFormat.of()
          .formatHex(
              MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** One cache directory and what this process believes it holds. */
  private static final class Root {
    final Path path;
    final long limit;
    private final AtomicLong used = new AtomicLong(-1);

    Root(Path path, long limit) {
      this.path = path;
      this.limit = limit;
    }

    void added(long bytes) {
      long total;
      synchronized (this) {
        // the first write of this process learns what is there (the new chunk included)
        total =
            used.get() < 0
                ? used.updateAndGet(u -> scan().stream().mapToLong(Entry::size).sum())
                : used.addAndGet(bytes);
      }
      if (total > limit) {
        evict();
      }
    }

    /** Deletes the least recently used chunks until the cache is at 90 % of its limit. */
    private synchronized void evict() {
      List<Entry> all = scan();
      long total = all.stream().mapToLong(Entry::size).sum();
      all.sort(Comparator.comparing(Entry::touched));
      for (Entry e : all) {
        if (total <= limit / 10 * 9) {
          break;
        }
        delete(e.file());
        total -= e.size();
      }
      used.set(total);
    }

    private List<Entry> scan() {
      List<Entry> out = new ArrayList<>();
      Instant stale = Instant.now().minusSeconds(600);
      try (Stream<Path> s = Files.walk(path, 2)) {
        s.filter(p -> !p.equals(path))
            .forEach(
                p -> {
                  try {
                    if (!Files.isRegularFile(p)) {
                      return;
                    }
                    FileTime t = Files.getLastModifiedTime(p);
                    if (p.getFileName().toString().startsWith(".tmp-")) {
                      // left by a process that died while writing; a live writer renames in ms
                      if (t.toInstant().isBefore(stale)) {
                        delete(p);
                      }
                      return;
                    }
                    out.add(new Entry(p, Files.size(p), t));
                  } catch (IOException e) {
                    // deleted meanwhile by another process
                  }
                });
      } catch (IOException | java.io.UncheckedIOException e) {
        // an unreadable cache directory only means less eviction
      }
      return out;
    }
  }

  private record Entry(Path file, long size, FileTime touched) {}
}
