package dev.cairn.source;

import dev.cairn.io.Sizes;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryIteratorException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Pattern;
import java.util.zip.CRC32C;

/**
 * The local, persistent cache of remote objects' chunks that makes a fleet of machines fetch each
 * block of a published snapshot once: a chunk read from an HTTP or S3 object is kept on local disk
 * and served from there by every later read, in this process or the next.
 *
 * <p>Layout: {@code ROOT/cairn-chunks-v1/KEY/INDEX}, one file per {@link RemoteByteSource#CHUNK}-
 * byte chunk. {@code cairn-chunks-v1} is created by the cache (atomically, with its {@code
 * CACHEDIR.TAG} already inside) and is the only thing it ever creates in ROOT; a folder of that
 * name without the tag is not the cache's and turns caching off. KEY is the first 32 hex digits of
 * the SHA-256 of the object's URL, size and validator (ETag or Last-Modified), so a changed object
 * gets new chunks instead of stale ones; INDEX is the chunk's number in decimal. A file is written
 * under a temporary name {@code .tmp-INDEX-HEX} and renamed, so readers (several mounts may share
 * the cache) see a whole chunk or none. When the cache grows past its limit, the least recently
 * used chunks go (a hit touches the file's mtime); temporary files older than 10 minutes (left by a
 * process that died while writing) go too. Eviction looks only at names of exactly these forms,
 * only in KEY folders inside {@code cairn-chunks-v1}, never follows a symbolic link and never
 * descends further: the cache deletes nothing it did not create.
 *
 * <p>Ownership: ROOT, {@code cairn-chunks-v1} and every KEY folder must be real folders (not
 * symbolic links) owned by the effective user and writable by no one else, and the folders above
 * ROOT owned by that user or root and writable by no one else unless sticky ({@link
 * PrivateFolder}); otherwise caching is off and one warning line on stderr says why. Folders are
 * created 0700, files 0600, and chunk files are opened without following symbolic links.
 *
 * <p>Chunk file format (all integers little-endian):
 *
 * <pre>
 * offset  size  field
 *      0     8  magic, ASCII "cairnck1"
 *      8    32  SHA-256 of the object's URL, size and validator (the full hash KEY begins with)
 *     40     8  chunk index
 *     48     4  n, the number of data bytes
 *     52     n  the chunk's bytes
 *   52+n     4  CRC32C of bytes 0 .. 52+n-1
 * </pre>
 *
 * A chunk is served only if its length, magic, hash, index, n and CRC all match what is asked for,
 * so a file renamed from another object or position is never served; one that does not match is
 * deleted and fetched again.
 *
 * <p>ROOT is {@code $CAIRN_CACHE_DIR}, else {@code $XDG_CACHE_HOME/cairn/remote}, else {@code
 * ~/.cache/cairn/remote}; {@code CAIRN_CACHE_DIR=none} turns the cache off. The limit is {@code
 * $CAIRN_CACHE_LIMIT} (a size such as {@code 20G}), default 8 GiB. System properties {@code
 * cairn.cacheDir} and {@code cairn.cacheLimit} take precedence (tests).
 *
 * <p><b>Thread safety:</b> safe for concurrent use, also by several processes.
 */
final class DiskChunkCache {
  /** The folder in ROOT that holds everything the cache writes. */
  static final String VERSIONED = "cairn-chunks-v1";

  /** The standard cache-directory tag (https://bford.info/cachedir/). */
  static final String TAG = "CACHEDIR.TAG";

  private static final String SIGNATURE = "Signature: 8a477f597d28d172789f06886806bc55";
  private static final byte[] TAG_TEXT =
      (SIGNATURE
              + "\n# This file is a cache directory tag created by cairn (remote chunk cache).\n"
              + "# For information about cache directory tags, see https://bford.info/cachedir/\n")
          .getBytes(StandardCharsets.US_ASCII);

  private static final byte[] MAGIC = "cairnck1".getBytes(StandardCharsets.US_ASCII);
  private static final int HEADER = 52;
  private static final int TRAILER = 4;
  private static final Pattern KEY_NAME = Pattern.compile("[0-9a-f]{32}");
  private static final Pattern CHUNK_NAME = Pattern.compile("0|[1-9][0-9]{0,18}");
  private static final Pattern TEMP_NAME =
      Pattern.compile("\\.tmp-(0|[1-9][0-9]{0,18})-[0-9a-f]{1,16}");
  private static final long DEFAULT_LIMIT = 8L << 30;
  private static final Object ROOTS_LOCK = new Object();
  private static Settings sharedSettings;
  private static Root shared;

  private final Root root;
  private final Path dir;
  private final byte[] hash;
  private volatile boolean dirChecked;
  private volatile boolean dirRefused;

  private DiskChunkCache(Root root, Path dir, byte[] hash) {
    this.root = root;
    this.dir = dir;
    this.hash = hash;
  }

  /**
   * The cache for one remote object, or null if caching is off, its folder cannot be made or is
   * refused (then one warning line has gone to stderr).
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
    byte[] hash = sha256(url + "\n" + size + "\n" + (validator == null ? "" : validator));
    String key = HexFormat.of().formatHex(hash, 0, 16);
    return new DiskChunkCache(r, r.path.resolve(key), hash);
  }

  /** Chunk {@code index} if cached whole and intact ({@code length} bytes), else null. */
  byte[] get(long index, int length) {
    if (!dirReady(false)) {
      return null;
    }
    Path f = dir.resolve(Long.toString(index));
    byte[] data;
    try {
      // only a regular file of the exact size is read (a link or a FIFO planted at the name is not
      // opened, and the open below would refuse a link swapped in meanwhile: ELOOP)
      BasicFileAttributes a =
          Files.readAttributes(f, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
      if (!a.isRegularFile()) {
        return null; // a put renames a chunk over it
      }
      if (a.size() != HEADER + (long) length + TRAILER) {
        delete(f);
        return null;
      }
      try (FileChannel ch =
          FileChannel.open(f, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS)) {
        ByteBuffer head = ByteBuffer.allocate(HEADER).order(ByteOrder.LITTLE_ENDIAN);
        readFully(ch, head, 0);
        data = new byte[length];
        readFully(ch, ByteBuffer.wrap(data), HEADER);
        ByteBuffer tail = ByteBuffer.allocate(TRAILER).order(ByteOrder.LITTLE_ENDIAN);
        readFully(ch, tail, HEADER + (long) length);
        if (!matches(head, index, length) || tail.getInt(0) != crc(head, data)) {
          delete(f);
          return null;
        }
      }
    } catch (IOException e) {
      return null; // not cached, or unreadable: then it is fetched again
    }
    try {
      Files.getFileAttributeView(f, BasicFileAttributeView.class, LinkOption.NOFOLLOW_LINKS)
          .setTimes(FileTime.from(Instant.now()), null, null);
    } catch (IOException e) {
      // only the eviction order suffers
    }
    return data;
  }

  /** Stores chunk {@code index}; a failure (full disk, read-only cache) only means no caching. */
  void put(long index, byte[] data) {
    if (!dirReady(true)) {
      return;
    }
    Path f = dir.resolve(Long.toString(index));
    Path tmp =
        dir.resolve(
            ".tmp-" + index + "-" + Long.toHexString(ThreadLocalRandom.current().nextLong()));
    ByteBuffer head = header(index, data.length);
    ByteBuffer tail = ByteBuffer.allocate(TRAILER).order(ByteOrder.LITTLE_ENDIAN);
    tail.putInt(0, crc(head, data));
    ByteBuffer[] parts = {head, ByteBuffer.wrap(data), tail};
    // CREATE_NEW (O_EXCL) never opens an existing file or follows a link planted at the name
    try (FileChannel ch =
        FileChannel.open(
            tmp,
            Set.of(
                StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS),
            PrivateFolder.FILE_MODE)) {
      while (parts[2].hasRemaining()) {
        ch.write(parts);
      }
    } catch (IOException e) {
      delete(tmp);
      return;
    }
    try {
      // rename(2) replaces whatever has the chunk's name (a symbolic link included) without
      // writing through it
      Files.move(tmp, f, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      root.added(HEADER + data.length + TRAILER);
    } catch (IOException e) {
      delete(tmp);
    }
  }

  /**
   * Whether this object's KEY folder exists (created if {@code create}) and passes the ownership
   * rule; checked once per object, as no one else can replace it inside the checked parent.
   */
  private boolean dirReady(boolean create) {
    if (dirChecked) {
      return true;
    }
    if (dirRefused) {
      return false;
    }
    synchronized (this) {
      if (dirChecked || dirRefused) {
        return dirChecked;
      }
      try {
        if (create) {
          try {
            Files.createDirectory(dir, PrivateFolder.DIR_MODE);
          } catch (FileAlreadyExistsException e) {
            // made by another reader, or planted: checked below
          }
        }
        String why = PrivateFolder.problem(dir, root.uid);
        if (why != null) {
          dirRefused = true;
          warn(dir, why);
          return false;
        }
        dirChecked = true;
        return true;
      } catch (IOException e) {
        return false; // not there yet, or the cache folder is unwritable: no caching
      }
    }
  }

  private ByteBuffer header(long index, int length) {
    ByteBuffer b = ByteBuffer.allocate(HEADER).order(ByteOrder.LITTLE_ENDIAN);
    b.put(MAGIC).put(hash).putLong(index).putInt(length).flip();
    return b;
  }

  private boolean matches(ByteBuffer head, long index, int length) {
    return Arrays.equals(head.array(), 0, 8, MAGIC, 0, 8)
        && Arrays.equals(head.array(), 8, 40, hash, 0, 32)
        && head.getLong(40) == index
        && head.getInt(48) == length;
  }

  private static int crc(ByteBuffer head, byte[] data) {
    CRC32C c = new CRC32C();
    c.update(head.array(), 0, HEADER);
    c.update(data, 0, data.length);
    return (int) c.getValue();
  }

  private static void readFully(FileChannel ch, ByteBuffer dst, long position) throws IOException {
    long pos = position;
    while (dst.hasRemaining()) {
      int n = ch.read(dst, pos);
      if (n < 0) {
        throw new EOFException();
      }
      pos += n;
    }
  }

  private static void delete(Path f) {
    try {
      Files.deleteIfExists(f); // unlink(2): removes a link itself, never its target
    } catch (IOException e) {
      // a later write replaces it
    }
  }

  /** Prints the one line that says caching is off, and why. */
  private static void warn(Path folder, String why) {
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

  /** Where the cache is and how large it may grow, as configured now. */
  private record Settings(Path path, long limit) {}

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
    Settings s = new Settings(path.toAbsolutePath().normalize(), limit);
    synchronized (ROOTS_LOCK) {
      // a refused or unusable folder is decided (and warned about) once per process
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
  private static Root open(Settings s) {
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
      return new Root(versioned, s.limit(), uid);
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
      readFully(ch, got, 0);
    } catch (IOException e) {
      return false;
    }
    return Arrays.equals(got.array(), want);
  }

  private static String setting(String property, String env) {
    String v = System.getProperty(property);
    if (v == null || v.isBlank()) {
      v = System.getenv(env);
    }
    return v == null || v.isBlank() ? null : v.trim();
  }

  private static byte[] sha256(String s) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The cache's versioned folder and what this process believes it holds. */
  private static final class Root {
    final Path path;
    final long limit;
    final int uid;
    private final AtomicLong used = new AtomicLong(-1);

    Root(Path path, long limit, int uid) {
      this.path = path;
      this.limit = limit;
      this.uid = uid;
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

    /**
     * The chunk files in the cache, after deleting stale temporary files: only names of the cache's
     * own forms, only regular files, only in KEY folders that pass the ownership rule.
     */
    private boolean isPrivate(Path key) {
      try {
        return PrivateFolder.problem(key, uid) == null;
      } catch (IOException e) {
        return false; // removed meanwhile
      }
    }

    private List<Entry> scan() {
      List<Entry> out = new ArrayList<>();
      Instant stale = Instant.now().minusSeconds(600);
      try (DirectoryStream<Path> keys = Files.newDirectoryStream(path)) {
        for (Path key : keys) {
          if (!KEY_NAME.matcher(key.getFileName().toString()).matches() || !isPrivate(key)) {
            continue;
          }
          try (DirectoryStream<Path> files = Files.newDirectoryStream(key)) {
            for (Path f : files) {
              String name = f.getFileName().toString();
              boolean chunk = CHUNK_NAME.matcher(name).matches();
              if (!chunk && !TEMP_NAME.matcher(name).matches()) {
                continue;
              }
              BasicFileAttributes a;
              try {
                a = Files.readAttributes(f, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
              } catch (IOException e) {
                continue; // deleted meanwhile by another process
              }
              if (!a.isRegularFile()) {
                continue;
              }
              if (chunk) {
                out.add(new Entry(f, a.size(), a.lastModifiedTime()));
              } else if (a.lastModifiedTime().toInstant().isBefore(stale)) {
                // left by a process that died while writing; a live writer renames in ms
                delete(f);
              }
            }
          } catch (IOException | DirectoryIteratorException e) {
            // removed meanwhile or unreadable: nothing of it is counted
          }
        }
      } catch (IOException | DirectoryIteratorException e) {
        // an unreadable cache folder only means less eviction
      }
      return out;
    }
  }

  private record Entry(Path file, long size, FileTime touched) {}
}
