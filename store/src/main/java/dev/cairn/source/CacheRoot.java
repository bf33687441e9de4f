package dev.cairn.source;

import dev.cairn.config.Tuning;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The folder the {@link DiskChunkCache} keeps its chunks in, as this process found it: where it is
 * ({@code ROOT/cairn-chunks-v1}), whether it may be used, how large it may grow, and the eviction
 * that keeps it under that limit.
 *
 * <p>{@code cairn-chunks-v1} is created atomically with its {@code CACHEDIR.TAG} already inside and
 * is the only thing the cache ever creates in ROOT; a folder of that name without the tag is not
 * the cache's and turns caching off. ROOT and {@code cairn-chunks-v1} must pass the ownership rule
 * of {@link PrivateFolder}, as must the folders above ROOT; otherwise caching is off and one
 * warning line on stderr says why.
 *
 * <p>When the cache grows past its limit, the least recently used chunks go (a hit touches the
 * file's mtime); temporary files older than 10 minutes (left by a process that died while writing)
 * go too. Eviction looks only at names of the cache's own forms, only in KEY folders inside {@code
 * cairn-chunks-v1} that pass the ownership rule, never follows a symbolic link and never descends
 * further: the cache deletes nothing it did not create.
 *
 * <p>ROOT is {@code $CAIRN_CACHE_DIR}, else {@code $XDG_CACHE_HOME/cairn/remote}, else {@code
 * ~/.cache/cairn/remote}; {@code CAIRN_CACHE_DIR=none} turns the cache off. The limit is {@code
 * $CAIRN_CACHE_LIMIT} (a size such as {@code 20G}), default 8 GiB. System properties {@code
 * cairn.cacheDir} and {@code cairn.cacheLimit} take precedence (tests).
 *
 * <p><b>Thread safety:</b> safe for concurrent use, also by several processes.
 */
final class CacheRoot {
  /** The folder in ROOT that holds everything the cache writes. */
  static final String VERSIONED = "cairn-chunks-v1";

  /** The name ending of an {@link ObjectRecord} file, {@code URLKEY.obj}. */
  static final String RECORD_SUFFIX = ".obj";

  /** The standard cache-directory tag (https://bford.info/cachedir/). */
  static final String TAG = "CACHEDIR.TAG";

  private static final String SIGNATURE = "Signature: 8a477f597d28d172789f06886806bc55";
  private static final byte[] TAG_TEXT =
      (SIGNATURE
              + "\n# This file is a cache directory tag created by cairn (remote chunk cache).\n"
              + "# For information about cache directory tags, see https://bford.info/cachedir/\n")
          .getBytes(StandardCharsets.US_ASCII);

  private static final Object ROOTS_LOCK = new Object();
  private static Settings sharedSettings;
  private static CacheRoot shared;

  /** The versioned folder, {@code ROOT/cairn-chunks-v1}. */
  final Path path;

  /** The effective user id everything in the cache must belong to. */
  final int uid;

  private final long limit;

  /** The cache's own files, as found on disk. */
  final CacheListing listing;

  private final AtomicLong used = new AtomicLong(-1);
  private long sinceCount; // guarded by this: bytes written since the folder was last counted
  private long countedAt; // guarded by this: System.nanoTime() of that count

  /** At most how long the running total goes without a count of the folder while writing. */
  private static final long RECOUNT_SECONDS = 2;

  private CacheRoot(Path path, long limit, int uid) {
    this.path = path;
    this.limit = limit;
    this.uid = uid;
    this.listing = new CacheListing(path, uid);
  }

  /** Where the cache is and how large it may grow, as configured now. */
  private record Settings(Path path, long limit) {}

  /**
   * The cache as configured now, or null if it is off, cannot be made, or is refused; a refused or
   * unusable folder is decided (and warned about) once per process.
   */
  static CacheRoot configured() {
    Tuning tuning = Tuning.current();
    if (tuning.cacheDir().isEmpty()) {
      return null;
    }
    Path path = tuning.cacheDir().get();
    long limit = tuning.cacheLimit();
    Settings s = new Settings(path.toAbsolutePath().normalize(), limit);
    synchronized (ROOTS_LOCK) {
      if (!s.equals(sharedSettings)) {
        sharedSettings = s;
        shared = open(s);
      }
      return shared;
    }
  }

  /**
   * The cache in {@code s.path()}, its versioned folder made if need be, or null if it cannot be
   * made (silently: e.g. a read-only home) or is refused (with one warning line).
   */
  private static CacheRoot open(Settings s) {
    int uid = PrivateFolder.effectiveUid();
    Path root = s.path();
    try {
      Files.createDirectories(root, PrivateFolder.DIR_MODE);
    } catch (FileAlreadyExistsException e) {
      // a symbolic link to a folder, or not a folder: refused below
    } catch (IOException e) {
      return null;
    }
    try {
      if (root.getParent() != null) {
        // from here on, paths without symbolic links above ROOT: nothing can be swapped in
        Path parent = root.getParent().toRealPath();
        root = parent.resolve(root.getFileName());
        String why = PrivateFolder.ancestorProblem(parent, uid);
        if (why != null) {
          warn(root, why);
          return null;
        }
      }
      String why = PrivateFolder.problem(root, uid);
      if (why != null) {
        warn(root, why);
        return null;
      }
      Path versioned = root.resolve(VERSIONED);
      if (!Files.exists(versioned, LinkOption.NOFOLLOW_LINKS)) {
        createVersioned(root, versioned);
      }
      why = PrivateFolder.problem(versioned, uid);
      if (why == null && !tagged(versioned)) {
        why = "has no " + TAG + " of cairn's";
      }
      if (why != null) {
        warn(versioned, why);
        return null;
      }
      return new CacheRoot(versioned, s.limit(), uid);
    } catch (IOException e) {
      return null;
    }
  }

  /**
   * Makes the versioned folder with its tag inside, under a temporary name renamed into place, so
   * that no process ever sees it without its tag.
   */
  private static void createVersioned(Path root, Path versioned) throws IOException {
    Path tmp =
        root.resolve(
            "." + VERSIONED + ".tmp-" + Long.toHexString(ThreadLocalRandom.current().nextLong()));
    Files.createDirectory(tmp, PrivateFolder.DIR_MODE);
    Path tag = tmp.resolve(TAG);
    try {
      try (FileChannel ch =
          FileChannel.open(
              tag,
              Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE),
              PrivateFolder.FILE_MODE)) {
        ch.write(ByteBuffer.wrap(TAG_TEXT));
      }
      Files.move(tmp, versioned, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      // another process made it first (the rename finds a non-empty folder): use theirs
      delete(tag);
      delete(tmp);
    }
  }

  /** Whether {@code versioned} holds the cache-directory tag (a regular file, not a link). */
  private static boolean tagged(Path versioned) {
    byte[] want = SIGNATURE.getBytes(StandardCharsets.US_ASCII);
    ByteBuffer got = ByteBuffer.allocate(want.length);
    try (FileChannel ch =
        FileChannel.open(
            versioned.resolve(TAG), StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS)) {
      ChunkFile.readFully(ch, got, 0);
    } catch (IOException e) {
      return false;
    }
    return Arrays.equals(got.array(), want);
  }

  /** Prints the one line that says caching is off, and why. */
  static void warn(Path folder, String why) {
    String fix =
        why.equals("is writable by other users")
            ? "chmod 700 " + folder + " or set CAIRN_CACHE_DIR"
            : "set CAIRN_CACHE_DIR to a folder of your own";
    System.err.println(
        "cairn: warning: cache folder "
            + folder
            + " "
            + why
            + "; remote chunks will not be cached ("
            + fix
            + ")");
  }

  /** Unlinks {@code f} if it is there: removes a link itself, never its target. */
  static void delete(Path f) {
    try {
      Files.deleteIfExists(f);
    } catch (IOException e) {
      // a later write replaces it
    }
  }

  /**
   * Notes a new file of {@code bytes} in the cache, and evicts if the cache is now too large. The
   * running total is this process's count; other processes (a {@code --foreground} mount, {@code
   * cairn fetch} beside the user's serving process) write to the same folder unseen, so the folder
   * is counted again once this process has written a sixteenth of the limit, or after {@value
   * #RECOUNT_SECONDS} s, since it last counted: the cache then passes its limit by at most what the
   * others wrote meanwhile, where within one process it passes it by at most the files being
   * written at that moment.
   */
  void added(long bytes) {
    long total;
    synchronized (this) {
      long now = System.nanoTime();
      sinceCount += bytes;
      if (used.get() < 0
          || sinceCount >= limit / 16
          || now - countedAt >= RECOUNT_SECONDS * 1_000_000_000L) {
        // the first write of this process learns what is there (the new chunk included)
        List<CacheListing.Entry> all = listing.scan();
        sinceCount = 0;
        countedAt = now;
        total = all.stream().mapToLong(CacheListing.Entry::size).sum();
        if (total > limit) {
          deleteOldest(all, Long.MIN_VALUE, limit / 10 * 9);
          return;
        }
        used.set(total);
      } else {
        total = used.addAndGet(bytes);
      }
    }
    if (total > limit) {
      evict();
    }
  }

  /** Notes that a file of {@code bytes} left the cache (while the total is unknown, nothing). */
  void removed(long bytes) {
    used.getAndUpdate(u -> u < 0 ? u : Math.max(0, u - bytes));
  }

  /** Deletes the least recently used chunks until the cache is at 90 % of its limit. */
  private void evict() {
    deleteOldest(Long.MIN_VALUE, limit / 10 * 9);
  }

  /**
   * Deletes, least recently used first, the chunk and piece files last used before {@code
   * cutoffMillis}, and more until at most {@code target} bytes are left; then counts the cache as
   * holding what is left. A file that cannot be deleted (gone meanwhile, or undeletable) stays
   * counted.
   */
  synchronized CacheFolder.Pruned deleteOldest(long cutoffMillis, long target) {
    return deleteOldest(listing.scan(), cutoffMillis, target);
  }

  private synchronized CacheFolder.Pruned deleteOldest(
      List<CacheListing.Entry> all, long cutoffMillis, long target) {
    long total = all.stream().mapToLong(CacheListing.Entry::size).sum();
    all.sort(Comparator.comparing(CacheListing.Entry::touched));
    long files = 0;
    long bytes = 0;
    for (CacheListing.Entry e : all) {
      if (e.touched().toMillis() >= cutoffMillis && total <= target) {
        break;
      }
      try {
        if (Files.deleteIfExists(e.file())) {
          files++;
          bytes += e.size();
          total -= e.size();
        }
      } catch (IOException ex) {
        // deleted meanwhile by another process, or not deletable: left as it is
      }
    }
    used.set(total);
    return new CacheFolder.Pruned(files, bytes, total);
  }

  /** The limit the cache is kept under. */
  long limit() {
    return limit;
  }
}
