package dev.cairn.fuse;

import static dev.cairn.fuse.MountSupport.cairn;
import static dev.cairn.fuse.MountSupport.cleanUp;
import static dev.cairn.fuse.MountSupport.mount;
import static dev.cairn.fuse.MountSupport.umount;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A two-stream snapshot: both files byte-exact, read-only, with the right metadata. */
class StreamsMountIT {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path dir;
  Path mnt;
  byte[] primary;
  byte[] secondary;
  Path snap;

  @BeforeEach
  void pack() throws Exception {
    MountSupport.requireFuse();
    Random r = new Random(5);
    primary = new byte[(9 << 20) + 4321];
    r.nextBytes(primary);
    System.arraycopy(Files.readAllBytes(Path.of("/bin/ls")), 0, primary, 1 << 20, 100_000);
    java.util.Arrays.fill(primary, 3 << 20, 5 << 20, (byte) 0);
    StringBuilder sb = new StringBuilder();
    try (Stream<Path> s = Files.list(Path.of("/usr/share/common-licenses"))) {
      for (Path p : s.filter(Files::isRegularFile).sorted().toList()) {
        sb.append(Files.readString(p));
      }
    }
    secondary = sb.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8);
    Path a = Files.write(dir.resolve("weights.npy"), primary);
    Path b = Files.write(dir.resolve("notes.txt"), secondary);
    snap = dir.resolve("two.cairn");
    cairn(
            "pack",
            a.toString(),
            "--secondary",
            b.toString(),
            "-o",
            snap.toString(),
            "--codec",
            "zstd")
        .ok();
    mnt = Files.createDirectory(dir.resolve("mnt"));
  }

  @AfterEach
  void tearDown() {
    cleanUp(mnt);
  }

  @Test
  void bothStreamsByteExactReadOnlyWithMetadata() throws Exception {
    MountSupport.Run m = mount(snap, mnt, "--cache-size", "64M");
    assertTrue(m.out().contains("(log: "), m.out());

    try (Stream<Path> s = Files.list(mnt)) {
      assertEquals(
          List.of(".cairn", "notes.txt", "weights.npy"),
          s.map(p -> p.getFileName().toString()).sorted().toList());
    }
    assertArrayEquals(primary, Files.readAllBytes(mnt.resolve("weights.npy")));
    assertArrayEquals(secondary, Files.readAllBytes(mnt.resolve("notes.txt")));

    JsonNode info = JSON.readTree(cairn("info", snap.toString(), "--json").ok().out());
    Instant created = Instant.parse(info.get("created").asText());
    for (String name : List.of("weights.npy", "notes.txt")) {
      Path f = mnt.resolve(name);
      PosixFileAttributes a =
          Files.readAttributes(f, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
      assertTrue(a.isRegularFile());
      assertEquals("r--r--r--", PosixFilePermissions.toString(a.permissions()), name);
      assertEquals(name.equals("notes.txt") ? secondary.length : primary.length, a.size());
      assertEquals(created.getEpochSecond(), a.lastModifiedTime().toInstant().getEpochSecond());
      assertEquals("root", a.owner().getName());
      assertEquals(1, Files.getAttribute(f, "unix:nlink"));
    }
    assertEquals(
        "r-xr-xr-x",
        PosixFilePermissions.toString(Files.getPosixFilePermissions(mnt.resolve(".cairn"))));

    // read-only: no writes, no new files, no deletes
    assertThrows(
        IOException.class,
        () -> Files.newByteChannel(mnt.resolve("notes.txt"), StandardOpenOption.WRITE).close());
    assertThrows(IOException.class, () -> Files.writeString(mnt.resolve("new.txt"), "x"));
    assertThrows(IOException.class, () -> Files.delete(mnt.resolve("notes.txt")));
    assertThrows(IOException.class, () -> Files.readAllBytes(mnt.resolve("missing")));

    // stats.json: live counters and mount info, readable with ordinary tools
    JsonNode st =
        JSON.readTree(
            MountSupport.run("cat", mnt.resolve(".cairn/stats.json").toString()).ok().out());
    assertTrue(st.get("bytes_read").asLong() >= primary.length + secondary.length, st.toString());
    assertTrue(st.get("reads").asLong() > 0);
    assertTrue(st.get("blocks_decompressed").asLong() > 0);
    assertEquals(0, st.get("errors").asLong());
    JsonNode mi = st.get("mount");
    assertEquals(snap.toString(), mi.get("snapshot").asText());
    assertEquals(mnt.toRealPath().toString(), mi.get("mount_point").asText());
    assertEquals(64L << 20, mi.get("cache_size").asLong());
    assertTrue(Files.isRegularFile(Path.of(mi.get("log_file").asText())));
    assertEquals(MountSupport.servers(mnt).size() >= 1, true);

    // a second read is served from the page cache (kernel_cache / keep_cache): no new FUSE reads
    // (first let the kernel's asynchronous readahead of the earlier reads finish)
    long before = settledReads(mnt);
    assertArrayEquals(secondary, Files.readAllBytes(mnt.resolve("notes.txt")));
    long after =
        JSON.readTree(Files.readAllBytes(mnt.resolve(".cairn/stats.json"))).get("reads").asLong();
    assertEquals(before, after, "re-read came from the page cache");

    // statfs: the streams' total size, nothing free
    MountSupport.Run df = MountSupport.run("stat", "-f", "-c", "%S %b %f %a", mnt.toString()).ok();
    String[] f = df.out().strip().split(" ");
    long bsize = Long.parseLong(f[0]);
    assertEquals((primary.length + secondary.length + bsize - 1) / bsize, Long.parseLong(f[1]));
    assertEquals("0", f[2]);
    assertEquals("0", f[3]);

    umount(mnt);
  }

  @Test
  void sequentialReadsArriveInLargeRequestsWithAWideReadAhead() throws Exception {
    mount(snap, mnt).ok();
    // FuseLoop + InitReplyPatch: up to 1 MiB per request instead of libfuse 2.9's 128 KiB, and a
    // read-ahead window that keeps both serving threads busy
    assertEquals(4096, ReadAhead.get(mnt));
    long before = settledReads(mnt);
    assertArrayEquals(primary, Files.readAllBytes(mnt.resolve("weights.npy")));
    long requests = settledReads(mnt) - before;
    // 9 MiB: 73 requests at 128 KiB; about 10 at 1 MiB (a few more where read-ahead splits)
    assertTrue(requests >= 9 && requests <= 24, requests + " read requests for 9 MiB");
    umount(mnt);
  }

  @Test
  void aSnapshotServedOverHttpMountsByteExact() throws Exception {
    try (dev.cairn.fixture.Nginx nginx =
        dev.cairn.fixture.Nginx.serve(dir, Files.createDirectories(dir.resolve("nginx")))) {
      String url = nginx.url(snap.getFileName().toString());
      assertMountServesBothStreams(Map.of(), url);
      MountSupport.Run refused =
          cairn("mount", url, mnt.toString(), "--overlay", dir.resolve("ov").toString());
      refused.fails(2, "--overlay needs a local base snapshot");
      // the command line no longer probes the object: the serving process's open refuses it with
      // the same one line and exit code, and nothing is left mounted
      Files.writeString(dir.resolve("page.html"), "<html>not a snapshot</html>\n".repeat(8));
      cairn("mount", nginx.url("page.html"), mnt.toString())
          .fails(2, nginx.url("page.html") + ": not a Cairn snapshot");
      cairn("mount", nginx.url("nope.cairn"), mnt.toString())
          .fails(2, nginx.url("nope.cairn") + ": not found (HTTP 404)");
      // the same from a serving process of its own (no server), through the ready handshake
      cairn(Map.of("CAIRN_SERVER", "0"), "mount", nginx.url("nope.cairn"), mnt.toString())
          .fails(2, nginx.url("nope.cairn") + ": not found (HTTP 404)");
      assertEquals(List.of(), MountSupport.servers(mnt), "the refused mount's process is gone");
      assertTrue(MountTable.find(mnt.toRealPath()).isEmpty(), "nothing mounted after refusals");
      assertMountServesBothStreams(Map.of(), url);
    }
  }

  @Test
  void aSnapshotInS3MountsByteExact() throws Exception {
    try (dev.cairn.fixture.S3Proxy s3 =
        dev.cairn.fixture.S3Proxy.start(Files.createDirectories(dir.resolve("s3")))) {
      s3.put("models", "v1/" + snap.getFileName(), snap);
      String url = "s3://models/v1/" + snap.getFileName();
      // the serving process gets the endpoint and credentials from the environment it inherits
      JsonNode first = assertMountServesBothStreams(s3.environment(), url);
      assertEquals(url, first.get("snapshot").asText());
      assertTrue(first.get("requests").asLong() > 0, first.toString());
      // no chunk was fetched twice: at most the object's bytes came over the network
      long fetched = first.get("bytes_fetched").asLong();
      assertTrue(fetched > 0 && fetched <= Files.size(snap), first + " of " + Files.size(snap));
      // a second mount of the same object version reads every chunk from the local disk cache
      JsonNode second = assertMountServesBothStreams(s3.environment(), url);
      assertEquals(0, second.get("requests").asLong(), second.toString());
      assertTrue(second.get("disk_cache_chunks").asLong() > 0, second.toString());
      MountSupport.Run missing =
          cairn(s3.environment(), "mount", "s3://models/v1/nope.cairn", mnt.toString());
      missing.fails(2, "s3://models/v1/nope.cairn: not found (S3 404");
    }
  }

  /**
   * Mounts the remote snapshot {@code url}, checks both streams byte for byte, unmounts; returns
   * the mount's request counters for the snapshot.
   */
  private JsonNode assertMountServesBothStreams(Map<String, String> env, String url)
      throws Exception {
    cairn(env, "mount", url, mnt.toString()).ok();
    assertArrayEquals(primary, Files.readAllBytes(mnt.resolve("weights.npy")));
    assertArrayEquals(secondary, Files.readAllBytes(mnt.resolve("notes.txt")));
    JsonNode st = JSON.readTree(Files.readAllBytes(mnt.resolve(".cairn/stats.json")));
    assertEquals(url, st.get("mount").get("snapshot").asText());
    assertEquals(0, st.get("errors").asLong());
    umount(mnt);
    return st.get("remote").get(0);
  }

  /**
   * DESIGN's failure rule for remote reads: when the server goes away, a read of bytes not fetched
   * yet fails with EIO after the retries and one log line names the snapshot and block; the mount
   * stays up, and once the server is back the same read returns the right bytes.
   */
  @Test
  void aServerThatGoesAwayFailsReadsWithEioAndTheMountRecovers() throws Exception {
    Path prefix = Files.createDirectories(dir.resolve("nginx"));
    dev.cairn.fixture.Nginx nginx = dev.cairn.fixture.Nginx.serve(dir, prefix);
    int port = nginx.port();
    String url = nginx.url(snap.getFileName().toString());
    try {
      cairn(Map.of("CAIRN_CACHE_DIR", "none"), "mount", url, mnt.toString()).ok();
      assertArrayEquals(secondary, Files.readAllBytes(mnt.resolve("notes.txt")));
      nginx.close();
      nginx = null;
      long at = 7L << 20;
      try (FileChannel ch = FileChannel.open(mnt.resolve("weights.npy"))) {
        assertThrows(IOException.class, () -> ch.read(ByteBuffer.allocate(65536), at));
      }
      assertTrue(MountTable.find(mnt.toRealPath()).isPresent(), "mount stays up");
      JsonNode st = JSON.readTree(Files.readAllBytes(mnt.resolve(".cairn/stats.json")));
      assertTrue(st.get("errors").asLong() >= 1, st.toString());
      MountSupport.assertWarned(
          mnt, url, "block ", url + ": connection refused", "gave up after 4 attempts");

      nginx = dev.cairn.fixture.Nginx.serve(dir, prefix, port);
      try (FileChannel ch = FileChannel.open(mnt.resolve("weights.npy"))) {
        ByteBuffer b = ByteBuffer.allocate(65536);
        while (b.hasRemaining() && ch.read(b, at + b.position()) > 0) {
          // a FUSE read may return less than asked
        }
        assertArrayEquals(
            java.util.Arrays.copyOfRange(primary, (int) at, (int) at + 65536), b.array());
      }
      umount(mnt);
    } finally {
      if (nginx != null) {
        nginx.close();
      }
    }
  }

  /** The mount's read counter once it has stopped moving (readahead requests can trail a read). */
  private static long settledReads(Path mnt) throws Exception {
    long previous = -1;
    for (int i = 0; i < 50; i++) {
      long now =
          JSON.readTree(Files.readAllBytes(mnt.resolve(".cairn/stats.json"))).get("reads").asLong();
      if (now == previous) {
        return now;
      }
      previous = now;
      Thread.sleep(200);
    }
    return previous;
  }
}
