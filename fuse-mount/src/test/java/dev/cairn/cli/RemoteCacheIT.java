package dev.cairn.cli;

import static dev.cairn.cli.PackCliIT.cairn;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cairn.fixture.FolderTree;
import dev.cairn.fixture.Nginx;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.UserPrincipal;
import java.time.Instant;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real {@code cairn cat URL} against nginx with the remote chunk cache pointed at folders that
 * are not the cache's: a folder of documents, and a world-writable folder of another user holding
 * chunks planted for the very object read.
 */
class RemoteCacheIT {
  private static final int MIB = 1 << 20;

  @TempDir Path dir;

  private static byte[] bytes(int n, long seed) {
    byte[] b = new byte[n];
    new Random(seed).nextBytes(b);
    return b;
  }

  /** Packs {@code data} uncompressed into {@code out}. */
  private Path pack(byte[] data, Path out) throws Exception {
    Path in = Files.write(dir.resolve("input.bin"), data);
    cairn("pack", in.toString(), "-o", out.toString(), "--codec", "none").checkOk();
    Files.delete(in);
    return out;
  }

  @Test
  void aFolderOfDocumentsUsedAsTheCacheKeepsEveryDocument() throws Exception {
    Path www = Files.createDirectories(dir.resolve("www"));
    byte[] image = bytes(16 * MIB, 16);
    pack(image, www.resolve("16MiB.cairn"));
    Path docs = Files.createDirectories(dir.resolve("docs"));
    Path outside = Files.writeString(dir.resolve("outside.txt"), "not the cache's");
    Files.writeString(docs.resolve("letter.txt"), "Dear reader");
    Files.write(
        Files.createDirectories(docs.resolve("photos/2023")).resolve("a.jpg"), bytes(MIB, 1));
    Files.write(docs.resolve("photos/b.jpg"), bytes(2 * MIB, 2));
    Files.write(docs.resolve("0"), bytes(3 * MIB, 3)); // named like a chunk
    Path keyLike = Files.createDirectories(docs.resolve("0123456789abcdef0123456789abcdef"));
    Files.write(keyLike.resolve("1"), bytes(MIB, 4));
    Path oldTemp = Files.write(keyLike.resolve(".tmp-2-dead"), bytes(100, 5));
    Files.setLastModifiedTime(oldTemp, FileTime.from(Instant.now().minusSeconds(3600)));
    Files.createSymbolicLink(docs.resolve("link.txt"), outside);
    Map<String, String> before = FolderTree.of(docs);
    Map<String, String> env = Map.of("CAIRN_CACHE_DIR", docs.toString(), "CAIRN_CACHE_LIMIT", "4M");

    try (Nginx nginx = Nginx.serve(www, Files.createDirectories(dir.resolve("nginx")))) {
      for (int run = 0; run < 2; run++) {
        PackCliIT.Run cat = cairn(env, "cat", nginx.url("16MiB.cairn")).checkOk();
        assertArrayEquals(image, cat.out(), "run " + run);
        assertEquals("", cat.err());
      }
    }

    Map<String, String> after = FolderTree.of(docs);
    for (Map.Entry<String, String> e : before.entrySet()) {
      assertEquals(e.getValue(), after.get(e.getKey()), e.getKey());
    }
    assertEquals("not the cache's", Files.readString(outside));
    Path versioned = docs.resolve("cairn-chunks-v1");
    assertTrue(
        Files.readString(versioned.resolve("CACHEDIR.TAG"))
            .startsWith("Signature: 8a477f597d28d172789f06886806bc55\n"));
    long cached = 0;
    int files = 0;
    try (Stream<Path> s = Files.walk(versioned)) {
      for (Path p : (Iterable<Path>) s::iterator) {
        if (Files.isDirectory(p)) {
          assertEquals("rwx------", FolderTree.mode(p), p.toString());
        } else {
          assertEquals("rw-------", FolderTree.mode(p), p.toString());
          cached += Files.size(p);
          files++;
        }
      }
    }
    assertTrue(files > 1, "chunks were cached");
    assertTrue(cached <= 4 * MIB, "cache holds " + cached + " bytes");
    assertEquals(
        before.size() + 1,
        FolderTree.of(docs).keySet().stream()
            .filter(k -> !k.startsWith("cairn-chunks-v1/"))
            .count());
  }

  @Test
  void aWorldWritableFolderOfAnotherUserIsNeverWrittenToNorItsChunksServed() throws Exception {
    Path www = Files.createDirectories(dir.resolve("www"));
    byte[] mine = bytes(16 * MIB, 1);
    byte[] theirs = bytes(16 * MIB, 2);
    Path served = www.resolve("s.cairn");
    FileTime mtime = FileTime.from(Instant.parse("2024-05-01T12:00:00Z"));
    Path good = dir.resolve("good");
    Path shared = dir.resolve("shared");
    UserPrincipal nobody =
        FileSystems.getDefault().getUserPrincipalLookupService().lookupPrincipalByName("nobody");
    try (Nginx nginx = Nginx.serve(www, Files.createDirectories(dir.resolve("nginx")))) {
      String url = nginx.url("s.cairn");
      // another user caches the other snapshot under the URL, size and ETag of the one read
      pack(theirs, served);
      long size = Files.size(served);
      Files.setLastModifiedTime(served, mtime);
      assertArrayEquals(
          theirs, cairn(Map.of("CAIRN_CACHE_DIR", good.toString()), "cat", url).checkOk().out());
      Files.createDirectory(shared);
      Files.move(good.resolve("cairn-chunks-v1"), shared.resolve("cairn-chunks-v1"));
      pack(mine, served);
      assertEquals(size, Files.size(served), "both snapshots have one size");
      Files.setLastModifiedTime(served, mtime);
      try (Stream<Path> s = Files.walk(shared)) {
        for (Path p : (Iterable<Path>) s::iterator) {
          Files.setOwner(p, nobody);
        }
      }
      Files.setAttribute(shared, "unix:mode", 01777);
      Map<String, String> before = FolderTree.of(shared);

      PackCliIT.Run cat = cairn(Map.of("CAIRN_CACHE_DIR", shared.toString()), "cat", url);
      assertEquals(0, cat.exit(), cat.err());
      assertArrayEquals(mine, cat.out(), "the planted chunks are not served");
      assertEquals(
          "cairn: warning: cache folder "
              + shared
              + " is owned by another user (nobody); remote chunks will not be cached (set"
              + " CAIRN_CACHE_DIR to a folder of your own)\n",
          cat.err());
      assertEquals(before, FolderTree.of(shared), "nothing written there");

      // the control: the same folder, had it been this user's own, would have served them
      try (Stream<Path> s = Files.walk(shared)) {
        for (Path p : (Iterable<Path>) s::iterator) {
          Files.setOwner(p, Files.getOwner(dir));
        }
      }
      Files.setAttribute(shared, "unix:mode", 0700);
      PackCliIT.Run trusted = cairn(Map.of("CAIRN_CACHE_DIR", shared.toString()), "cat", url);
      assertFalse(
          java.util.Arrays.equals(mine, trusted.out()),
          "the planted chunks are valid for this object: only the ownership check refused them");
    }
  }
}
