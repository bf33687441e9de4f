package dev.cairn.source;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryIteratorException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Matcher;

/**
 * The local, persistent cache of one remote object's chunks that makes a fleet of machines fetch
 * each block of a published snapshot once: a chunk a {@link ChunkCachingSource} read from an HTTP
 * or S3 object is kept on local disk and served from there by every later read, in this process or
 * the next.
 *
 * <p>Layout: {@code ROOT/cairn-chunks-v1/KEY/INDEX}, one {@link ChunkFile} per chunk, in the folder
 * {@link CacheRoot} manages; beside them {@code KEY/pSTART-LENGTH}, one per piece ({@link
 * CachedPieces}: the LENGTH bytes from byte START, fetched on their own). KEY is the first 32 hex
 * digits of the SHA-256 of the object's URL, size and validator (ETag or Last-Modified), so a
 * changed object gets new chunks instead of stale ones; INDEX is the chunk's number in decimal. A
 * file is written under a temporary name {@code .tmp-NAME-HEX} and renamed, so readers (several
 * mounts may share the cache) see a whole chunk or none; a file that is not the chunk asked for is
 * deleted and fetched again. The KEY folder must pass the ownership rule of {@link PrivateFolder}
 * like the folders above it.
 *
 * <p>Next to the KEY folders, {@code URLKEY.obj} remembers each URL's size and validator ({@link
 * ObjectRecord}), so that the chunks can be found while the server is unreachable ({@link
 * #recorded}).
 *
 * <p><b>Thread safety:</b> safe for concurrent use, also by several processes.
 */
final class DiskChunkCache {
  private final CacheRoot root;
  private final Path dir;
  private final byte[] hash;
  private final ObjectRecord object;
  private volatile boolean dirChecked;
  private volatile boolean dirRefused;

  private DiskChunkCache(CacheRoot root, Path dir, byte[] hash, ObjectRecord object) {
    this.root = root;
    this.dir = dir;
    this.hash = hash;
    this.object = object;
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
    CacheRoot r = CacheRoot.configured();
    if (r == null) {
      return null;
    }
    return of(r, new ObjectRecord(url, size, validator, System.currentTimeMillis()));
  }

  private static DiskChunkCache of(CacheRoot r, ObjectRecord o) {
    byte[] hash = hashOf(o);
    return new DiskChunkCache(r, r.path.resolve(HexFormat.of().formatHex(hash, 0, 16)), hash, o);
  }

  private static byte[] hashOf(ObjectRecord o) {
    String v = o.validator();
    return sha256(o.url() + "\n" + o.size() + "\n" + (v == null ? "" : v));
  }

  /** The KEY folder name of the object version {@code o} describes. */
  static String keyOf(ObjectRecord o) {
    return HexFormat.of().formatHex(hashOf(o), 0, 16);
  }

  /**
   * The cache of the version of {@code url} the disk cache last saw (its size and validator as
   * {@link #record()} kept them), or null if caching is off or it has no usable record of it.
   */
  static DiskChunkCache recorded(String url) {
    CacheRoot r = CacheRoot.configured();
    if (r == null) {
      return null;
    }
    ObjectRecord o = ObjectRecord.read(recordFile(r, url), url);
    return o == null ? null : of(r, o);
  }

  /** {@code cairn-chunks-v1/URLKEY.obj}. */
  static Path recordFile(CacheRoot r, String url) {
    byte[] h = sha256(url);
    return r.path.resolve(HexFormat.of().formatHex(h, 0, 16) + CacheRoot.RECORD_SUFFIX);
  }

  /** The object version this cache holds, and when the server last described it so. */
  ObjectRecord object() {
    return object;
  }

  /**
   * Remembers this object version as the one its URL has now ({@link ObjectRecord}), unless the
   * record already says so; a failure only means no offline use.
   */
  void record() {
    Path f = recordFile(root, object.url());
    if (object.sameVersion(ObjectRecord.read(f, object.url()))) {
      return;
    }
    try {
      object.write(f);
    } catch (IOException e) {
      // a read-only or full cache: the object can be read only while its server answers
    }
  }

  /**
   * Whether chunk {@code index} of {@code length} data bytes is on disk, going by its name and size
   * only (its content is checked when it is read).
   */
  boolean has(long index, int length) {
    if (!dirReady(false)) {
      return false;
    }
    try {
      BasicFileAttributes a =
          Files.readAttributes(
              dir.resolve(Long.toString(index)),
              BasicFileAttributes.class,
              LinkOption.NOFOLLOW_LINKS);
      return a.isRegularFile() && a.size() == ChunkFile.fileSize(length);
    } catch (IOException e) {
      return false;
    }
  }

  /**
   * The bytes of this version of the object that are not on disk as whole chunks ({@link #has}): 0
   * when the disk cache alone can serve all of it.
   */
  /**
   * Whether chunks {@code first..last} of this version of the object are all on disk whole (going
   * by their files' names and sizes).
   */
  boolean hasAll(long first, long last) {
    for (long c = first; c <= last; c++) {
      if (!has(c, ChunkCachingSource.chunkLength(object.size(), c))) {
        return false;
      }
    }
    return true;
  }

  long missingBytes() {
    long size = object.size();
    long missing = 0;
    for (long c = 0; c * ChunkCachingSource.CHUNK < size; c++) {
      int length = ChunkCachingSource.chunkLength(size, c);
      if (!has(c, length)) {
        missing += length;
      }
    }
    return missing;
  }

  /** The folder's description for messages: the cache folder. */
  Path folder() {
    return root.path.getParent();
  }

  /** Chunk {@code index} if cached whole and intact ({@code length} bytes), else null. */
  byte[] get(long index, int length) {
    if (!dirReady(false)) {
      return null;
    }
    Path f = dir.resolve(Long.toString(index));
    return touched(f, ChunkFile.read(f, hash, index, length));
  }

  /** {@code data} read from {@code f} (null if it was not there), after marking {@code f} used. */
  private static byte[] touched(Path f, byte[] data) {
    if (data == null) {
      return null;
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
    store(Long.toString(index), ChunkFile.Kind.CHUNK, index, data);
  }

  /**
   * Stores the piece of the object starting at byte {@code start} ({@link CachedPieces}); true if
   * it is on disk now. A failure only means no caching.
   */
  boolean putPiece(long start, byte[] data) {
    return store(pieceName(start, data.length), ChunkFile.Kind.PIECE, start, data);
  }

  /** The piece of {@code length} bytes at {@code start} if cached whole and intact, else null. */
  byte[] getPiece(long start, int length) {
    if (!dirReady(false)) {
      return null;
    }
    return touched(
        dir.resolve(pieceName(start, length)),
        ChunkFile.read(
            dir.resolve(pieceName(start, length)), ChunkFile.Kind.PIECE, hash, start, length));
  }

  /** Deletes the piece of {@code length} bytes at {@code start}, whose bytes proved wrong. */
  void removePiece(long start, int length) {
    delete(pieceName(start, length));
  }

  /**
   * The pieces in this object's folder, going by their names only (each is checked when it is
   * read), as start to length.
   */
  Map<Long, Integer> pieces() {
    Map<Long, Integer> out = new HashMap<>();
    if (!dirReady(false)) {
      return out;
    }
    try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
      for (Path f : files) {
        Matcher m = CacheListing.PIECE_NAME.matcher(f.getFileName().toString());
        if (m.matches()) {
          out.merge(Long.parseLong(m.group(1)), Integer.parseInt(m.group(2)), Math::max);
        }
      }
    } catch (IOException | DirectoryIteratorException e) {
      // an unreadable folder: the pieces are fetched again
    }
    return out;
  }

  private static String pieceName(long start, int length) {
    return "p" + start + "-" + length;
  }

  /**
   * Writes {@code data} as the file {@code name} (under a temporary name, then renamed); true if it
   * is there now.
   */
  private boolean store(String name, ChunkFile.Kind kind, long index, byte[] data) {
    if (!dirReady(true)) {
      return false;
    }
    Path f = dir.resolve(name);
    Path tmp =
        dir.resolve(
            ".tmp-" + name + "-" + Long.toHexString(ThreadLocalRandom.current().nextLong()));
    try {
      ChunkFile.write(tmp, kind, hash, index, data);
    } catch (java.nio.file.NoSuchFileException e) {
      // the KEY folder went (cairn cache prune removes empty ones): made again, checked again
      dirChecked = false;
      if (!dirReady(true)) {
        return false;
      }
      try {
        ChunkFile.write(tmp, kind, hash, index, data);
      } catch (IOException again) {
        CacheRoot.delete(tmp);
        return false;
      }
    } catch (IOException e) {
      CacheRoot.delete(tmp);
      return false;
    }
    try {
      // rename(2) replaces whatever has the chunk's name (a symbolic link included) without
      // writing through it
      Files.move(tmp, f, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      root.added(ChunkFile.fileSize(data.length));
      return true;
    } catch (IOException e) {
      CacheRoot.delete(tmp);
      return false;
    }
  }

  /**
   * Deletes chunk {@code index}, whose bytes proved wrong after they were cached whole and intact
   * (the server delivered them so), so that it is fetched again.
   */
  void remove(long index) {
    delete(Long.toString(index));
  }

  private void delete(String name) {
    if (!dirReady(false)) {
      return;
    }
    Path f = dir.resolve(name);
    try {
      BasicFileAttributes a =
          Files.readAttributes(f, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
      if (Files.deleteIfExists(f) && a.isRegularFile()) {
        root.removed(a.size());
      }
    } catch (IOException e) {
      // gone already, or undeletable: a later put renames the bytes fetched again over it
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
          CacheRoot.warn(dir, why);
          return false;
        }
        dirChecked = true;
        return true;
      } catch (IOException e) {
        return false; // not there yet, or the cache folder is unwritable: no caching
      }
    }
  }

  private static byte[] sha256(String s) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
