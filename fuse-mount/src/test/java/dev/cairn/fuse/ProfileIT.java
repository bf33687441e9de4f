package dev.cairn.fuse;

import static dev.cairn.fuse.MountSupport.cairn;
import static dev.cairn.fuse.MountSupport.cleanUp;
import static dev.cairn.fuse.MountSupport.umount;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cairn.fixture.Nginx;
import dev.cairn.profile.AccessProfile;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Access profiles through the real CLI, kernel and nginx: a mount records the blocks a workload
 * reads ({@code --record-profile}); published next to the snapshot, the profile makes a later mount
 * fetch exactly those blocks before anything reads them, so the workload then fetches nothing;
 * {@code --trust} uses a profile only once a trusted key signed it; and {@code --fetch all} leaves
 * a mount that reads every byte with the server gone.
 */
class ProfileIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int MIB = 1 << 20;
  private static final int BLOCK = 64 << 10;

  /**
   * The workload: scattered reads, as a boot reads a kernel, libraries and configuration; with
   * O_DIRECT, so that the kernel's read-ahead adds nothing to what is recorded.
   */
  private static final long[][] READS = {
    {40 * MIB + 12_288, 50 * 4096}, {3 * MIB, 65_536}, {57 * MIB, 367 * 4096}, {40 * MIB, 4096}
  };

  @TempDir static Path shared;
  static byte[] image;
  static Path keyPair;

  @TempDir Path dir;
  Path mnt;

  @BeforeAll
  static void image() throws Exception {
    MountSupport.requireFuse();
    image = new byte[64 * MIB];
    new Random(8).nextBytes(image);
    cairn("keygen", "-o", shared.resolve("k").toString()).ok();
    keyPair = shared.resolve("k");
  }

  @AfterEach
  void tearDown() {
    cleanUp(mnt);
  }

  private Path pack(Path www) throws Exception {
    Path img = Files.write(dir.resolve("disk.img"), image);
    Path snap = www.resolve("disk.cairn");
    cairn("pack", img.toString(), "-o", snap.toString(), "--sign", keyPair + ".key").ok();
    Files.delete(img);
    return snap;
  }

  private Map<String, String> freshCache() throws IOException {
    return Map.of(
        "CAIRN_CACHE_DIR",
        Files.createDirectories(dir.resolve("cache-" + System.nanoTime())).toString());
  }

  private Path mountPoint() throws IOException {
    mnt = Files.createDirectories(dir.resolve("mnt"));
    return mnt;
  }

  private void workload(Path disk) throws Exception {
    for (long[] r : READS) {
      Path got = dir.resolve("got.bin");
      MountSupport.run(
              "dd",
              "if=" + disk,
              "of=" + got,
              "bs=4096",
              "skip=" + r[0] / 4096,
              "count=" + r[1] / 4096,
              "iflag=direct",
              "status=none")
          .ok();
      assertArrayEquals(
          Arrays.copyOfRange(image, (int) r[0], (int) (r[0] + r[1])),
          Files.readAllBytes(got),
          "at " + r[0]);
    }
  }

  private JsonNode stats() throws IOException {
    return JSON.readTree(Files.readAllBytes(mnt.resolve(".cairn/stats.json")));
  }

  /** Waits until the background fetch is done; fails after 60 s. */
  private JsonNode awaitFetched() throws Exception {
    long deadline = System.nanoTime() + 60_000_000_000L;
    while (System.nanoTime() < deadline) {
      JsonNode p = stats().get("profile");
      if (p != null && p.get("fetch_done").asBoolean()) {
        return p;
      }
      Thread.sleep(50);
    }
    fail("background fetch not done: " + stats());
    return null;
  }

  private static long dataRequests(Nginx nginx) throws IOException {
    // METHOD URI STATUS BODY_BYTES "RANGE" CONNECTION; one-byte probes open the object
    return nginx.requests().stream()
        .filter(l -> l.split(" ")[1].equals("/disk.cairn") && !l.contains("\"bytes=0-0\""))
        .count();
  }

  /**
   * The blocks of a profile's short runs are fetched as exactly their stored bytes (4 KiB-aligned,
   * adjacent blocks together), not as the megabyte chunks around them; its long run (23 blocks, 1.4
   * MiB read in order, as a model load does) may go in whole chunks. Random data is stored as it
   * is, so a block's stored bytes lie at its own offset, 64 KiB and a few bytes long. Requests
   * elsewhere (the header, index and footer the mount reads first, a late read-ahead of the mount
   * before) are not the profile's.
   */
  private static void assertShortRunsFetchedAsPieces(List<String> log) {
    long[][] shortRuns = {{3L * MIB, 3L * MIB + BLOCK}, {40L * MIB, 40L * MIB + 4L * BLOCK}};
    java.util.regex.Pattern range = java.util.regex.Pattern.compile("\"bytes=(\\d+)-(\\d+)\"");
    for (long[] run : shortRuns) {
      long fetched = 0;
      for (String l : log) {
        java.util.regex.Matcher m = range.matcher(l);
        if (!l.split(" ")[1].equals("/disk.cairn") || !m.find()) {
          continue;
        }
        long from = Long.parseLong(m.group(1));
        long to = Long.parseLong(m.group(2)) + 1;
        if (from < run[1] + 4096 && to > run[0]) {
          fetched += to - from;
        }
      }
      long want = run[1] - run[0];
      assertTrue(
          fetched >= want && fetched <= want + 2 * 4096 + (want / BLOCK) * 64,
          fetched + " bytes fetched for the run at " + run[0] + " (" + want + " bytes): " + log);
    }
  }

  @Test
  void aRecordedProfilePublishedNextToTheSnapshotIsFetchedAheadOfTheWorkload() throws Exception {
    Path www = Files.createDirectories(dir.resolve("www"));
    pack(www);
    try (Nginx nginx = Nginx.serve(www, Files.createDirectories(dir.resolve("nginx")))) {
      String url = nginx.url("disk.cairn");
      Path recorded = dir.resolve("boot.profile");
      cairn(
              freshCache(),
              "mount",
              url,
              mountPoint().toString(),
              "--record-profile",
              recorded.toString())
          .ok();
      workload(mnt.resolve("disk.img"));
      JsonNode rec = stats().get("profile");
      assertEquals(recorded.toString(), rec.get("recording").asText());
      umount(mnt);

      AccessProfile p = AccessProfile.read(Files.readAllBytes(recorded), "boot.profile");
      long b40 = (40 * MIB) / BLOCK;
      assertEquals(
          List.of(
              new AccessProfile.Run(0, b40, 4), // 40 MiB + 12 KiB, 200 KiB
              new AccessProfile.Run(0, (3 * MIB) / BLOCK, 1),
              new AccessProfile.Run(0, (57 * MIB) / BLOCK, 23)), // 57 MiB, 1,468 KiB
          p.runs(),
          "first-read order, sequential blocks merged, the block read again left in place");

      // published next to the snapshot: a fresh mount fetches those blocks before any read
      Files.copy(recorded, www.resolve("disk.cairn.profile"));
      Map<String, String> env = freshCache();
      int logged = nginx.requests().size();
      cairn(env, "mount", url, mnt.toString()).ok();
      JsonNode fetched = awaitFetched();
      assertEquals(p.blocks(), fetched.get("fetch_blocks").asLong());
      assertEquals(p.blocks(), fetched.get("fetched_blocks").asLong());
      assertShortRunsFetchedAsPieces(nginx.requests().subList(logged, nginx.requests().size()));
      long before = dataRequests(nginx);
      workload(mnt.resolve("disk.img"));
      assertEquals(before, dataRequests(nginx), "the workload fetched nothing more");
      umount(mnt);

      // --profile none: nothing fetched ahead, the workload fetches
      cairn(freshCache(), "mount", url, mnt.toString(), "--profile", "none").ok();
      assertEquals(null, stats().get("profile"));
      long none = dataRequests(nginx);
      workload(mnt.resolve("disk.img"));
      assertTrue(dataRequests(nginx) > none, "without the profile the workload fetches");
      umount(mnt);

      // --trust: the unsigned profile is ignored with one log line, a signed one is used
      String pub = keyPair + ".pub";
      cairn(freshCache(), "mount", url, mnt.toString(), "--trust", pub).ok();
      assertEquals(null, stats().get("profile"));
      MountSupport.assertWarned(mnt, "disk.cairn.profile", "profile is not signed: ignored");
      umount(mnt);
      cairn("sign", www.resolve("disk.cairn.profile").toString(), "--key", keyPair + ".key").ok();
      cairn(freshCache(), "mount", url, mnt.toString(), "--trust", pub).ok();
      assertEquals(p.blocks(), awaitFetched().get("fetched_blocks").asLong());
      // the blocks and the digest pages that check them were fetched ahead
      int requests = nginx.requests().size();
      workload(mnt.resolve("disk.img"));
      assertEquals(
          List.of(),
          nginx.requests().subList(requests, nginx.requests().size()),
          "the verified workload fetched nothing more");
      umount(mnt);
    }
  }

  @Test
  void fetchAllLeavesAMountThatReadsEveryByteWithTheServerGone() throws Exception {
    Path www = Files.createDirectories(dir.resolve("www"));
    pack(www);
    Path prefix = Files.createDirectories(dir.resolve("nginx"));
    Nginx nginx = Nginx.serve(www, prefix);
    try {
      cairn(
              freshCache(),
              "mount",
              nginx.url("disk.cairn"),
              mountPoint().toString(),
              "--fetch",
              "all")
          .ok();
      JsonNode p = awaitFetched();
      assertEquals(1024, p.get("fetch_blocks").asLong(), "64 MiB in 64 KiB blocks");
    } finally {
      nginx.close();
    }
    assertArrayEquals(image, Files.readAllBytes(mnt.resolve("disk.img")), "every byte, offline");
    assertFalse(stats().get("profile").has("fetch_error"));
    umount(mnt);
  }
}
