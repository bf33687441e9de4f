package dev.cairn.fuse;

import static dev.cairn.fuse.MountSupport.cairn;
import static dev.cairn.fuse.MountSupport.cleanUp;
import static dev.cairn.fuse.MountSupport.umount;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cairn.fixture.Nginx;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Access profiles over nginx: a mount with {@code --record-profile} writes the chunks read in
 * first-read order; published as {@code SNAP.profile} next to the snapshot, a later mount on a
 * fresh cache fetches them by itself before they are read, so reading them then sends no request;
 * {@code --profile none} fetches nothing ahead.
 */
class ProfileIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int MIB = 1 << 20;

  @TempDir Path dir;
  Path www;
  Path mnt;
  Nginx nginx;
  byte[] data;

  @BeforeEach
  void serve() throws Exception {
    www = Files.createDirectories(dir.resolve("www"));
    mnt = Files.createDirectory(dir.resolve("mnt"));
    data = new byte[32 * MIB];
    new Random(5).nextBytes(data);
    Path in = Files.write(dir.resolve("boot.bin"), data);
    cairn("pack", in.toString(), "-o", www.resolve("boot.cairn").toString()).ok();
    nginx = Nginx.serve(www, Files.createDirectories(dir.resolve("nginx")));
  }

  @AfterEach
  void tearDown() throws Exception {
    cleanUp(mnt);
    nginx.close();
  }

  private Map<String, String> env(String cache) {
    return Map.of("CAIRN_CACHE_DIR", dir.resolve(cache).toString(), "CAIRN_CDS", "0");
  }

  /** Reads 64 KiB of the mounted file at each offset, checking the bytes. */
  private void readAt(long... offsets) throws Exception {
    try (FileChannel ch = FileChannel.open(mnt.resolve("boot.bin"))) {
      for (long off : offsets) {
        ByteBuffer b = ByteBuffer.allocate(65536);
        while (b.hasRemaining() && ch.read(b, off + b.position()) > 0) {}
        assertArrayEquals(
            Arrays.copyOfRange(data, (int) off, (int) off + 65536), b.array(), "at " + off);
      }
    }
  }

  private JsonNode remote() throws Exception {
    return JSON.readTree(mnt.resolve(".cairn/stats.json").toFile()).get("remote").get(0);
  }

  /** Whether nginx has sent a range of boot.cairn starting at chunk {@code chunk}. */
  private boolean fetched(long chunk) throws Exception {
    String start = "\"bytes=" + chunk * MIB + "-";
    return nginx.requests().stream().anyMatch(l -> l.contains("/boot.cairn ") && l.contains(start));
  }

  @Test
  void aRecordedProfilePublishedNextToTheSnapshotIsFetchedAheadByTheNextMount() throws Exception {
    String url = nginx.url("boot.cairn");
    Path profile = dir.resolve("boot.profile");
    cairn(env("c1"), "mount", url, mnt.toString(), "--record-profile", profile.toString()).ok();
    readAt(20L * MIB + 4096, 3L * MIB + 8192);
    umount(mnt);
    List<String> lines = Files.readAllLines(profile);
    assertEquals("cairn-profile 1", lines.get(0));
    int at20 = lines.indexOf("boot.cairn 20");
    int at3 = lines.indexOf("boot.cairn 3");
    assertTrue(at20 > 0 && at3 > at20, "chunk 20 read before chunk 3: " + lines);

    Files.copy(profile, www.resolve("boot.cairn.profile"));
    cairn(env("c2"), "mount", url, mnt.toString()).ok();
    long deadline = System.nanoTime() + 30_000_000_000L;
    while (!(fetched(20) && fetched(3)) && System.nanoTime() < deadline) {
      Thread.sleep(50);
    }
    assertTrue(fetched(20) && fetched(3), "fetched ahead by the profile: " + nginx.requests());
    assertTrue(remote().get("profile_chunks").asLong() > 0, remote().toString());
    Thread.sleep(500); // what the profile set off is in; nothing is read yet
    int before = nginx.requests().size();
    readAt(20L * MIB + 4096, 3L * MIB + 8192);
    assertEquals(before, nginx.requests().size(), "no request for what the profile fetched");
    umount(mnt);

    // --profile none: nothing ahead of the reads
    int mark = nginx.requests().size();
    cairn(env("c3"), "mount", url, mnt.toString(), "--profile", "none").ok();
    Thread.sleep(1000);
    assertEquals(0, remote().get("profile_chunks").asLong(), remote().toString());
    List<String> since = nginx.requests().subList(mark, nginx.requests().size());
    assertTrue(
        since.stream().noneMatch(l -> l.contains("\"bytes=" + 20L * MIB + "-")), since.toString());
    umount(mnt);
  }

  @Test
  void aProfileFileThatIsNotThereIsAUsageError() throws Exception {
    cairn(
            env("c1"),
            "mount",
            nginx.url("boot.cairn"),
            mnt.toString(),
            "--profile",
            dir.resolve("nope.profile").toString())
        .fails(2, "--profile " + dir.resolve("nope.profile") + ": no such file (or 'none')");
  }
}
