package dev.cairn.fuse;

import static dev.cairn.fuse.MountSupport.cairn;
import static dev.cairn.fuse.MountSupport.cleanUp;
import static dev.cairn.fuse.MountSupport.umount;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cairn.fixture.HostileServer;
import dev.cairn.fixture.HostileServer.Mode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The CLI and a mount against servers that stall, truncate, lie or refuse (issue 10, items 5 and
 * 8): each failure is one line naming the URL, within the documented bound, with exit 1; a stalled
 * read in a mount fails with EIO while reads of what the mount already holds keep working.
 */
class HostileServerIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int TIMEOUT = 2;
  private static final List<String> JVM = List.of("-Dcairn.remote.timeout=" + TIMEOUT);
  private static final Map<String, String> NO_CACHE = Map.of("CAIRN_CACHE_DIR", "none");

  /** Four attempts of at most TIMEOUT s of silence, 1.4 s of pauses, a JVM start and slack. */
  private static final long BOUND_MILLIS = 4 * TIMEOUT * 1000 + 1400 + 6000;

  @TempDir Path dir;
  Path mnt;
  Path snap;
  byte[] primary;
  byte[] secondary;
  HostileServer server;
  String url;

  @BeforeEach
  void pack() throws Exception {
    Random r = new Random(10);
    primary = new byte[(9 << 20) + 77];
    r.nextBytes(primary);
    secondary = new byte[300_000];
    r.nextBytes(secondary);
    Path a = Files.write(dir.resolve("weights.bin"), primary);
    Path b = Files.write(dir.resolve("notes.bin"), secondary);
    snap = dir.resolve("hostile.cairn");
    cairn("pack", a.toString(), "--secondary", b.toString(), "-o", snap.toString()).ok();
    server = HostileServer.serve(snap);
    url = server.url("hostile.cairn");
    mnt = Files.createDirectory(dir.resolve("mnt"));
  }

  @AfterEach
  void tearDown() throws IOException {
    cleanUp(mnt);
    server.close();
  }

  private MountSupport.Run cat(String target) throws Exception {
    return cairn(JVM, NO_CACHE, "cat", target);
  }

  /** Asserts exit {@code code}, nothing on stdout and exactly {@code line} on stderr. */
  private static void failsWith(MountSupport.Run run, int code, String line) {
    assertEquals(code, run.exit(), run.err());
    assertEquals(line + "\n", run.err());
    assertEquals("", run.out());
  }

  @Test
  void catOfAStallingServerFailsWithinTheBound() throws Exception {
    server.mode(Mode.STALL);
    MountSupport.Run run = cat(url);
    failsWith(
        run, 1, "cairn: " + url + ": no data for " + TIMEOUT + " s (gave up after 4 attempts)");
    assertTrue(run.millis() < BOUND_MILLIS, run.millis() + " ms");
    assertEquals(4, server.requests());
  }

  @Test
  void catOfATruncatingServerSaysHowManyBytesWereMissing() throws Exception {
    server.mode(Mode.TRUNCATE, 1); // the size probe is answered; the first chunk is cut in half
    failsWith(
        cat(url),
        1,
        "cairn: "
            + url
            + ": the server closed the connection 524288 bytes short of the 1048576 requested"
            + " (gave up after 4 attempts)");
  }

  @Test
  void catOfARefusingServerOrAnUnknownHostNamesTheUrl() throws Exception {
    server.mode(Mode.REFUSE);
    MountSupport.Run run = cat(url);
    failsWith(run, 1, "cairn: " + url + ": connection refused (gave up after 4 attempts)");
    assertTrue(run.millis() < BOUND_MILLIS, run.millis() + " ms");
    failsWith(
        cat("http://no-such-host.invalid/x.cairn"),
        1,
        "cairn: http://no-such-host.invalid/x.cairn: unknown host no-such-host.invalid");
  }

  @Test
  void catOfALyingServerRefusesItsBytes() throws Exception {
    server.mode(Mode.WRONG_RANGE, 1);
    failsWith(
        cat(url), 1, "cairn: " + url + ": asked for bytes 0-1048575, the server sent 1-1048576");
    server.mode(Mode.WHOLE, 1);
    failsWith(
        cat(url),
        1,
        "cairn: "
            + url
            + ": the server ignores byte ranges (it answered a ranged request with 200)");
  }

  /** No credentials anywhere: one short line naming the variables, before any request. */
  @Test
  void s3WithoutCredentialsIsOneLineNamingTheVariables() throws Exception {
    Path home = Files.createDirectory(dir.resolve("home"));
    Map<String, String> env =
        Map.of(
            "HOME",
            home.toString(),
            "AWS_ENDPOINT_URL",
            server.endpoint(),
            "AWS_ACCESS_KEY_ID",
            "",
            "AWS_SECRET_ACCESS_KEY",
            "",
            "AWS_CONFIG_FILE",
            home.resolve("none").toString(),
            "AWS_SHARED_CREDENTIALS_FILE",
            home.resolve("none").toString(),
            "AWS_EC2_METADATA_DISABLED",
            "true",
            "CAIRN_CACHE_DIR",
            "none");
    String s3 = "s3://models/hostile.cairn";
    String line =
        "cairn: "
            + s3
            + ": no AWS credentials found; set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or"
            + " AWS_PROFILE)";
    failsWith(cairn(JVM, env, "cat", s3), 2, line);
    failsWith(cairn(JVM, env, "mount", s3, mnt.toString()), 2, line);
    assertEquals(0, server.requests());
  }

  /**
   * A server that stalls under a mount: the read of bytes not fetched yet returns EIO within the
   * bound, a read of bytes the mount already holds returns at once and byte-exact meanwhile, and
   * once the server behaves again the failed read succeeds.
   */
  @Test
  void aStalledServerFailsOneReadWithEioAndBlocksNoOther() throws Exception {
    MountSupport.requireFuse();
    cairn(JVM, NO_CACHE, "mount", url, mnt.toString()).ok();
    Path notes = mnt.resolve("notes.bin");
    assertArrayEquals(secondary, Files.readAllBytes(notes));

    server.mode(Mode.STALL);
    int before = server.requests();
    long at = 6L << 20;
    long t0 = System.nanoTime();
    CompletableFuture<Long> stalled =
        CompletableFuture.supplyAsync(
            () -> {
              try (FileChannel ch = FileChannel.open(mnt.resolve("weights.bin"))) {
                ch.read(ByteBuffer.allocate(65536), at);
                return -1L;
              } catch (IOException e) {
                return (System.nanoTime() - t0) / 1_000_000;
              }
            });
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (server.requests() == before && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    assertTrue(server.requests() > before, "the read went to the stalled server");

    // bytes the mount holds, read past the page cache (O_DIRECT) so the request reaches it
    Path copy = dir.resolve("held.bin");
    MountSupport.Run dd =
        MountSupport.run(
            "dd",
            "if=" + notes,
            "of=" + copy,
            "iflag=direct",
            "bs=65536",
            "count=4",
            "status=none");
    assertEquals(0, dd.exit(), dd.err());
    assertTrue(dd.millis() < 2000, "a held read took " + dd.millis() + " ms behind a stall");
    assertArrayEquals(Arrays.copyOf(secondary, 4 * 65536), Files.readAllBytes(copy));
    assertFalse(stalled.isDone(), "the stalled read was still waiting");

    long millis = stalled.get(BOUND_MILLIS * 3, TimeUnit.MILLISECONDS);
    assertTrue(millis >= 0, "the stalled read failed (EIO)");
    // the documented bound: four attempts of TIMEOUT s and the pauses between them
    assertTrue(millis < 4 * TIMEOUT * 1000 + 1400 + 3000, "EIO after " + millis + " ms");
    MountSupport.assertWarned(
        mnt, url + ": no data for " + TIMEOUT + " s (gave up after 4 attempts)");

    server.mode(Mode.HONEST);
    Thread.sleep(1100); // a chunk whose fetch just gave up fails at once for a second
    try (FileChannel ch = FileChannel.open(mnt.resolve("weights.bin"))) {
      ByteBuffer b = ByteBuffer.allocate(65536);
      while (b.hasRemaining() && ch.read(b, at + b.position()) > 0) {
        // a FUSE read may return less than asked
      }
      assertArrayEquals(Arrays.copyOfRange(primary, (int) at, (int) at + 65536), b.array());
    }
    umount(mnt);
  }
}
