package dev.cairn.source;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cairn.fixture.FolderTree;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.UserPrincipal;
import java.time.Instant;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The disk chunk cache pointed at folders it does not own or did not make: documents, links, other
 * users' folders and planted chunks. Runs as root (as the test machines do) and uses the system
 * user {@code nobody} as the other user.
 */
class DiskChunkCacheSafetyTest {
  private static final int MIB = 1 << 20;

  @TempDir Path dir;
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();
  private PrintStream savedErr;

  @BeforeEach
  void captureStderr() {
    savedErr = System.err;
    System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
  }

  @AfterEach
  void restore() {
    System.setErr(savedErr);
    System.clearProperty("cairn.cacheDir");
    System.clearProperty("cairn.cacheLimit");
  }

  private String stderr() {
    return err.toString(StandardCharsets.UTF_8);
  }

  private static void useCache(Path root, String limit) {
    System.setProperty("cairn.cacheDir", root.toString());
    System.setProperty("cairn.cacheLimit", limit);
  }

  private static byte[] bytes(int n, long seed) {
    byte[] b = new byte[n];
    new Random(seed).nextBytes(b);
    return b;
  }

  private static UserPrincipal nobody() throws IOException {
    return FileSystems.getDefault().getUserPrincipalLookupService().lookupPrincipalByName("nobody");
  }

  /** Gives {@code p} to nobody with {@code mode} (sticky bit included). */
  private static Path foreign(Path p, int mode) throws IOException {
    Files.setOwner(p, nobody());
    Files.setAttribute(p, "unix:mode", mode);
    return p;
  }

  @Test
  void aFolderOfDocumentsKeepsEveryDocumentWhenTheCacheOverflows() throws IOException {
    Path docs = Files.createDirectories(dir.resolve("docs"));
    Path outside = Files.writeString(dir.resolve("outside.txt"), "not the cache's");
    Files.writeString(docs.resolve("letter.txt"), "Dear reader");
    Files.write(Files.createDirectories(docs.resolve("photos")).resolve("a.jpg"), bytes(MIB, 1));
    Files.write(
        Files.createDirectories(docs.resolve("photos/2023")).resolve("b.jpg"), bytes(MIB, 2));
    Files.write(docs.resolve("0"), bytes(3 * MIB, 3)); // named like a chunk
    Path keyLike = Files.createDirectories(docs.resolve("0123456789abcdef0123456789abcdef"));
    Files.write(keyLike.resolve("5"), bytes(MIB, 4)); // a chunk of the old layout, or a document
    Path oldTemp = Files.write(keyLike.resolve(".tmp-1-dead"), bytes(100, 5));
    Files.setLastModifiedTime(oldTemp, FileTime.from(Instant.now().minusSeconds(3600)));
    Files.createSymbolicLink(docs.resolve("link.txt"), outside);
    Map<String, String> before = FolderTree.of(docs);

    useCache(docs, "4M");
    DiskChunkCache c = DiskChunkCache.forObject("http://h/16MiB.cairn", 16L * MIB, "\"e\"");
    for (int i = 0; i < 16; i++) {
      c.put(i, bytes(MIB, 100 + i));
    }

    Map<String, String> after = FolderTree.of(docs);
    for (Map.Entry<String, String> e : before.entrySet()) {
      assertEquals(e.getValue(), after.get(e.getKey()), e.getKey());
    }
    assertEquals("not the cache's", Files.readString(outside));
    long cached;
    try (Stream<Path> s = Files.walk(docs.resolve(CacheRoot.VERSIONED))) {
      cached = s.filter(Files::isRegularFile).mapToLong(p -> p.toFile().length()).sum();
    }
    assertTrue(cached <= 4 * MIB, "cache holds " + cached + " bytes");
    assertArrayEquals(bytes(MIB, 115), c.get(15, MIB), "the newest chunk is kept");
    assertEquals("", stderr());
  }

  @Test
  void createdFoldersArePrivateAndTaggedAndFilesPrivate() throws IOException {
    Path root = dir.resolve("new/cache");
    useCache(root, "1G");
    DiskChunkCache.forObject("http://h/a", 10, null).put(0, bytes(10, 1));
    Path versioned = root.resolve(CacheRoot.VERSIONED);
    Path key;
    try (Stream<Path> s = Files.list(versioned)) {
      key = s.filter(Files::isDirectory).findFirst().orElseThrow();
    }
    for (Path p : new Path[] {dir.resolve("new"), root, versioned, key}) {
      assertEquals("rwx------", FolderTree.mode(p), p.toString());
    }
    assertEquals("rw-------", FolderTree.mode(key.resolve("0")));
    assertEquals("rw-------", FolderTree.mode(versioned.resolve("CACHEDIR.TAG")));
    assertTrue(
        Files.readString(versioned.resolve("CACHEDIR.TAG"))
            .startsWith("Signature: 8a477f597d28d172789f06886806bc55\n"));
    try (Stream<Path> s = Files.list(root)) {
      assertEquals(1, s.count(), "only the versioned folder is made in the cache folder");
    }
  }

  @Test
  void aWorldWritableFolderOfAnotherUserIsNeverWrittenTo() throws IOException {
    Path shared = foreign(Files.createDirectory(dir.resolve("shared")), 01777);
    useCache(shared, "1G");
    assertNull(DiskChunkCache.forObject("http://h/a", 10, null));
    assertNull(DiskChunkCache.forObject("http://h/b", 10, null));
    assertEquals(
        "cairn: warning: cache folder "
            + shared
            + " is owned by another user (nobody); remote chunks will not be cached (set"
            + " CAIRN_CACHE_DIR to a folder of your own)\n",
        stderr(),
        "one line for the process");
    try (Stream<Path> s = Files.list(shared)) {
      assertEquals(0, s.count());
    }
  }

  @Test
  void aFolderOfOneselfThatOthersCanWriteIsRefused() throws IOException {
    Path open = Files.createDirectory(dir.resolve("open"));
    Files.setAttribute(open, "unix:mode", 0777);
    useCache(open, "1G");
    assertNull(DiskChunkCache.forObject("http://h/a", 10, null));
    assertEquals(
        "cairn: warning: cache folder "
            + open
            + " is writable by other users; remote chunks will not be cached (chmod 700 "
            + open
            + " or set CAIRN_CACHE_DIR)\n",
        stderr());
    try (Stream<Path> s = Files.list(open)) {
      assertEquals(0, s.count());
    }
  }

  @Test
  void aCacheFolderInsideAFolderOthersCanWriteIsRefused() throws IOException {
    Path open = Files.createDirectory(dir.resolve("open"));
    Files.setAttribute(open, "unix:mode", 0777);
    Path theirs = foreign(Files.createDirectory(dir.resolve("theirs")), 0755);
    useCache(open.resolve("cache"), "1G");
    assertNull(DiskChunkCache.forObject("http://h/a", 10, null));
    useCache(theirs.resolve("cache"), "1G");
    assertNull(DiskChunkCache.forObject("http://h/a", 10, null));
    assertEquals(
        "cairn: warning: cache folder "
            + open.resolve("cache")
            + " is inside "
            + open
            + ", which is writable by other users; remote chunks will not be cached (set"
            + " CAIRN_CACHE_DIR to a folder of your own)\n"
            + "cairn: warning: cache folder "
            + theirs.resolve("cache")
            + " is inside "
            + theirs
            + ", which is owned by another user (nobody); remote chunks will not be cached (set"
            + " CAIRN_CACHE_DIR to a folder of your own)\n",
        stderr());
  }

  @Test
  void chunksPlantedByAnotherUserAreNeverServed() throws IOException {
    // valid chunks of other bytes for the very object read, as another user could cut them
    Path good = dir.resolve("good");
    useCache(good, "1G");
    DiskChunkCache.forObject("http://h/a", 3 * MIB, "\"v\"").put(0, bytes(MIB, 66));
    Path planted = foreign(Files.createDirectory(dir.resolve("planted")), 0755);
    Files.move(good.resolve(CacheRoot.VERSIONED), planted.resolve(CacheRoot.VERSIONED));
    try (Stream<Path> s = Files.walk(planted)) {
      for (Path p : (Iterable<Path>) s::iterator) {
        Files.setOwner(p, nobody());
      }
    }
    useCache(planted, "1G");
    assertNull(DiskChunkCache.forObject("http://h/a", 3 * MIB, "\"v\""), "the folder is refused");

    // the folder is one's own but the versioned folder or a key folder inside is not
    Files.setOwner(planted, Files.getOwner(dir));
    useCache(planted, "2G"); // new settings: decided afresh
    assertNull(DiskChunkCache.forObject("http://h/a", 3 * MIB, "\"v\""));
    Files.setOwner(planted.resolve(CacheRoot.VERSIONED), Files.getOwner(dir));
    useCache(planted, "3G");
    DiskChunkCache c = DiskChunkCache.forObject("http://h/a", 3 * MIB, "\"v\"");
    assertNull(c.get(0, MIB), "a key folder of another user is not entered");
    c.put(1, bytes(MIB, 1));
    assertNull(c.get(1, MIB), "nor written to");
    String[] lines = stderr().split("\n");
    assertEquals(3, lines.length, stderr());
    assertTrue(
        lines[0].endsWith(
            " is owned by another user (nobody); remote chunks will not be cached (set CAIRN_CACHE_DIR to a folder of your own)"),
        lines[0]);
    assertTrue(lines[0].startsWith("cairn: warning: cache folder " + planted + " "), lines[0]);
    assertTrue(
        lines[1].startsWith(
            "cairn: warning: cache folder "
                + planted.resolve(CacheRoot.VERSIONED)
                + " is owned by another user (nobody)"),
        lines[1]);
    assertTrue(lines[2].contains(" is owned by another user (nobody)"), lines[2]);
  }

  @Test
  void aChunkMovedToAnotherObjectOrIndexIsNotServed() throws IOException {
    useCache(dir, "1G");
    DiskChunkCache a = DiskChunkCache.forObject("http://h/a", 3 * MIB, "\"v\"");
    DiskChunkCache b = DiskChunkCache.forObject("http://h/b", 3 * MIB, "\"v\"");
    a.put(0, bytes(MIB, 1));
    b.put(2, bytes(MIB, 2)); // makes b's folder
    Path versioned = dir.resolve(CacheRoot.VERSIONED);
    Path chunk;
    try (Stream<Path> s = Files.walk(versioned)) {
      chunk = s.filter(p -> p.getFileName().toString().equals("0")).findFirst().orElseThrow();
    }
    Path bDir;
    try (Stream<Path> s = Files.list(versioned)) {
      bDir =
          s.filter(p -> Files.isDirectory(p) && !p.equals(chunk.getParent()))
              .findFirst()
              .orElseThrow();
    }
    Files.copy(chunk, bDir.resolve("0"));
    Files.copy(chunk, chunk.resolveSibling("1"));
    assertNull(b.get(0, MIB), "a chunk of another object");
    assertNull(a.get(1, MIB), "a chunk of another position");
    assertArrayEquals(bytes(MIB, 1), a.get(0, MIB));
  }

  @Test
  void aLinkPlantedAtAChunkIsNeverWrittenThroughOrServed() throws IOException {
    Path secret = Files.createDirectory(dir.resolve("secret"));
    Files.setAttribute(secret, "unix:mode", 0700);
    Path target = Files.writeString(secret.resolve("shadow"), "root only");
    Path cache = dir.resolve("cache");
    useCache(cache, "1G");
    DiskChunkCache c = DiskChunkCache.forObject("http://h/a", 3 * MIB, "\"v\"");
    c.put(2, bytes(MIB, 2)); // makes the key folder
    Path key;
    try (Stream<Path> s = Files.list(cache.resolve(CacheRoot.VERSIONED))) {
      key = s.filter(Files::isDirectory).findFirst().orElseThrow();
    }
    Files.createSymbolicLink(key.resolve("0"), target);
    Files.createSymbolicLink(key.resolve("1"), secret.resolve("new"));
    assertNull(c.get(0, MIB));
    c.put(0, bytes(MIB, 0));
    c.put(1, bytes(MIB, 1));
    assertEquals("root only", Files.readString(target));
    try (Stream<Path> s = Files.list(secret)) {
      assertEquals(1, s.count(), "nothing made in the root-only folder");
    }
    assertFalse(Files.isSymbolicLink(key.resolve("0")), "the link was replaced, not followed");
    assertArrayEquals(bytes(MIB, 0), c.get(0, MIB));
    assertArrayEquals(bytes(MIB, 1), c.get(1, MIB));
  }

  @Test
  void linkedFoldersAreRefusedAndNotWrittenThrough() throws IOException {
    Path secret = Files.createDirectory(dir.resolve("secret"));
    Files.setAttribute(secret, "unix:mode", 0700);
    // the cache folder itself a link
    Path link = Files.createSymbolicLink(dir.resolve("link"), secret);
    useCache(link, "1G");
    assertNull(DiskChunkCache.forObject("http://h/a", 10, null));
    // the versioned folder a link
    Path cache = Files.createDirectory(dir.resolve("cache"));
    Files.createSymbolicLink(cache.resolve(CacheRoot.VERSIONED), secret);
    useCache(cache, "1G");
    assertNull(DiskChunkCache.forObject("http://h/a", 10, null));
    // a key folder a link
    Path cache2 = dir.resolve("cache2");
    useCache(cache2, "1G");
    DiskChunkCache.forObject("http://h/b", 10, null).put(0, bytes(10, 0));
    DiskChunkCache c = DiskChunkCache.forObject("http://h/a", 10, null);
    Path versioned = cache2.resolve(CacheRoot.VERSIONED);
    String keyName;
    try (Stream<Path> s = Files.list(versioned)) {
      keyName = s.filter(Files::isDirectory).findFirst().orElseThrow().getFileName().toString();
    }
    // plant a's key folder: the same hash scheme as b's, computed by putting into a fresh cache
    Path probe = dir.resolve("probe");
    useCache(probe, "1G");
    DiskChunkCache.forObject("http://h/a", 10, null).put(0, bytes(10, 0));
    String aKey;
    try (Stream<Path> s = Files.list(probe.resolve(CacheRoot.VERSIONED))) {
      aKey = s.filter(Files::isDirectory).findFirst().orElseThrow().getFileName().toString();
    }
    assertFalse(aKey.equals(keyName));
    Files.createSymbolicLink(versioned.resolve(aKey), secret);
    c.put(0, bytes(10, 0));
    assertNull(c.get(0, 10));
    try (Stream<Path> s = Files.list(secret)) {
      assertEquals(0, s.count(), "nothing written through a linked folder");
    }
    String[] lines = stderr().split("\n");
    assertEquals(3, lines.length, stderr());
    assertEquals(
        "cairn: warning: cache folder "
            + link
            + " is a symbolic link; remote chunks will not be cached (set CAIRN_CACHE_DIR to a"
            + " folder of your own)",
        lines[0]);
    assertTrue(lines[1].contains(CacheRoot.VERSIONED + " is a symbolic link"), lines[1]);
    assertTrue(lines[2].contains(aKey + " is a symbolic link"), lines[2]);
  }

  @Test
  void aVersionedFolderWithoutItsTagIsNotTheCaches() throws IOException {
    Path cache = Files.createDirectory(dir.resolve("cache"));
    Path mine = Files.createDirectory(cache.resolve(CacheRoot.VERSIONED));
    Path key = Files.createDirectory(mine.resolve("0123456789abcdef0123456789abcdef"));
    Files.write(key.resolve("0"), bytes(5 * MIB, 1));
    Map<String, String> before = FolderTree.of(cache);
    useCache(cache, "1M");
    assertNull(DiskChunkCache.forObject("http://h/a", 10, null));
    assertEquals(before, FolderTree.of(cache));
    assertEquals(
        "cairn: warning: cache folder "
            + mine
            + " has no CACHEDIR.TAG of cairn's; remote chunks will not be cached (set"
            + " CAIRN_CACHE_DIR to a folder of your own)\n",
        stderr());
  }

  @Test
  void aStoredChunkSurvivesAReopenOfTheCache() {
    useCache(dir, "1G");
    DiskChunkCache.forObject("http://h/a", 10, null).put(0, bytes(10, 7));
    useCache(dir, "2G"); // opened afresh: the existing versioned folder is recognised
    assertNotNull(DiskChunkCache.forObject("http://h/a", 10, null).get(0, 10));
    assertEquals("", stderr());
  }
}
