package dev.cairn.fuse;

import static dev.cairn.fuse.MountSupport.cairn;
import static dev.cairn.fuse.MountSupport.cairnRaw;
import static dev.cairn.fuse.MountSupport.cleanUp;
import static dev.cairn.fuse.MountSupport.sha256;
import static dev.cairn.fuse.MountSupport.umount;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cairn.fixture.Nginx;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code cairn fetch} warms the disk cache with every chunk of a chain (a thin snapshot over its
 * parent, on nginx); with nginx stopped, a mount and {@code cairn cat} then work from the cache
 * alone, saying so in one line, and with part of the cache gone they fail with one line saying
 * which snapshot, how much is missing and what to do.
 */
class OfflineCacheIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int MIB = 1 << 20;

  @TempDir Path dir;
  Path www;
  Path mnt;
  Path nginxDir;
  Nginx nginx;
  byte[] base;
  byte[] child;

  @BeforeEach
  void serve() throws Exception {
    www = Files.createDirectories(dir.resolve("www"));
    mnt = Files.createDirectory(dir.resolve("mnt"));
    Random r = new Random(15);
    base = new byte[12 * MIB + 99];
    r.nextBytes(base);
    child = base.clone();
    byte[] patch = new byte[3 * MIB];
    r.nextBytes(patch);
    System.arraycopy(patch, 0, child, 4 * MIB, patch.length);
    Path in = dir.resolve("disk.img");
    Files.write(in, base);
    cairn("pack", in.toString(), "-o", www.resolve("base.cairn").toString()).ok();
    Files.write(in, child);
    cairn(
            "pack",
            in.toString(),
            "-o",
            www.resolve("child.cairn").toString(),
            "--parent",
            www.resolve("base.cairn").toString())
        .ok();
    Files.delete(in);
    nginxDir = Files.createDirectories(dir.resolve("nginx"));
    nginx = Nginx.serve(www, nginxDir);
  }

  @AfterEach
  void tearDown() throws Exception {
    cleanUp(mnt);
    nginx.close();
  }

  private Map<String, String> cache() {
    return Map.of("CAIRN_CACHE_DIR", dir.resolve("cache").toString());
  }

  @Test
  void afterFetchAMountAndCatWorkWithTheServerStopped() throws Exception {
    String url = nginx.url("child.cairn");
    MountSupport.Run fetch = cairn(cache(), "fetch", url, "--json").ok();
    JsonNode report = JSON.readTree(fetch.out());
    assertTrue(report.get("complete").asBoolean(), fetch.out());
    assertEquals(2, report.get("objects").size(), "the child and its parent: " + fetch.out());
    long both = Files.size(www.resolve("child.cairn")) + Files.size(www.resolve("base.cairn"));
    assertEquals(both, report.get("bytes").asLong());
    for (JsonNode o : report.get("objects")) {
      assertEquals(100.0, o.get("cached_percent").asDouble(), fetch.out());
    }
    // a second fetch has nothing left to do
    MountSupport.Run again = cairn(cache(), "fetch", url).ok();
    assertTrue(again.out().startsWith(url + ": all "), again.out());
    assertTrue(again.out().contains("0 B fetched"), again.out());
    nginx.close();

    MountSupport.Raw cat = cairnRaw(cache(), "cat", url);
    assertEquals(0, cat.exit(), cat.err());
    assertArrayEquals(child, cat.out());
    String[] lines = cat.err().strip().split("\n");
    assertEquals(2, lines.length, "one line per chain member: " + cat.err());
    assertTrue(
        lines[0].startsWith("cairn: " + url + " is unreachable; reading it from the disk cache"),
        lines[0]);
    assertTrue(lines[0].contains(Files.size(www.resolve("child.cairn")) + " bytes"), lines[0]);

    MountSupport.Run mount = cairn(cache(), "mount", url, mnt.toString()).ok();
    assertTrue(mount.out().startsWith("mounted "), mount.out());
    Path file = mnt.resolve("disk.img");
    assertEquals(child.length, Files.size(file));
    assertEquals(sha256(Files.write(dir.resolve("expected.img"), child)), sha256(file));
    JsonNode stats = JSON.readTree(mnt.resolve(".cairn/stats.json").toFile());
    for (JsonNode member : stats.get("remote")) {
      assertEquals(0, member.get("requests").asLong(), stats.toString());
      assertEquals(100.0, member.get("cached_percent").asDouble(), stats.toString());
    }
    umount(mnt);
  }

  @Test
  void anIncompleteCacheWithTheServerStoppedFailsWithOneLineSayingWhatIsMissing() throws Exception {
    String url = nginx.url("child.cairn");
    cairn(cache(), "fetch", url).ok();
    // three chunk files of the cache go (which object's does not matter: both are needed)
    List<Path> chunks;
    try (Stream<Path> s = Files.walk(dir.resolve("cache"))) {
      chunks =
          s.filter(p -> p.getFileName().toString().matches("[0-9]+"))
              .filter(p -> p.getParent().getFileName().toString().length() == 32)
              .sorted()
              .toList();
    }
    assertTrue(chunks.size() >= 13 + 3, "both snapshots cached: " + chunks);
    Path parentKey = null;
    for (Path p : chunks) {
      if (p.getFileName().toString().equals("11")) {
        parentKey = p.getParent(); // the 12 MiB parent has chunk 11; the child's index is small
      }
    }
    assertTrue(parentKey != null, chunks.toString());
    for (String n : List.of("0", "5", "6")) {
      Files.delete(parentKey.resolve(n));
    }
    nginx.close();

    String base = nginx.url("base.cairn");
    cairn(cache(), "mount", url, mnt.toString())
        .fails(1, base + ": connection refused (gave up after 4 attempts)")
        .fails(1, "% of it (3.0 MiB missing)")
        .fails(1, "run cairn fetch " + base + " while the server is reachable");
    cairn(cache(), "cat", url).fails(1, "(3.0 MiB missing): run cairn fetch " + base);
  }

  @Test
  void aSnapshotNeverFetchedWithTheServerStoppedFailsSayingTheCacheHoldsNothing() throws Exception {
    String url = nginx.url("base.cairn");
    nginx.close();
    cairn(cache(), "cat", url)
        .fails(
            1,
            url
                + ": connection refused (gave up after 4 attempts); the disk cache holds nothing"
                + " of it (run cairn fetch "
                + url
                + " while the server is reachable)");
  }
}
