package dev.cairn.source;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cairn.error.NoCredentialsException;
import dev.cairn.fixture.HostileServer;
import dev.cairn.fixture.HostileServer.Mode;
import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.exception.SdkClientException;

/**
 * HTTP and S3 sources against servers that stall, truncate, lie or refuse: every failure ends
 * within the timeout and retries, with one message naming the URL and what happened, and a stalled
 * fetch holds up no read of another chunk. (Before the timeout existed, a stall hung forever: the
 * class timeout turns that into a failure.)
 */
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class HostileServerTest {
  /** Four attempts of at most one second of silence each, plus 1.4 s of pauses, plus slack. */
  private static final long BOUND_MILLIS = 4 * 1000 + 1400 + 2500;

  @TempDir static Path shared;
  static byte[] content;
  static Path file;
  HostileServer server;

  @BeforeAll
  static void content() throws IOException {
    System.setProperty("cairn.remote.timeout", "1");
    content = new byte[(17 << 20) + 123];
    new Random(17).nextBytes(content);
    file = Files.write(shared.resolve("object.bin"), content);
  }

  @AfterAll
  static void clear() {
    System.clearProperty("cairn.remote.timeout");
  }

  @BeforeEach
  void start() throws IOException {
    System.setProperty("cairn.cacheDir", "none");
    server = HostileServer.serve(file);
  }

  @AfterEach
  void stop() throws IOException {
    System.clearProperty("cairn.cacheDir");
    server.close();
  }

  private ChunkCachingSource openHttp() throws IOException {
    return ChunkCachingSource.of(HttpByteSource.open(URI.create(server.url("object.bin"))));
  }

  /** S3 at the hostile server, with credentials it takes. */
  private S3ByteSource.Settings s3Settings() {
    return new S3ByteSource.Settings(
        URI.create(server.endpoint()),
        "us-east-1",
        StaticCredentialsProvider.create(AwsBasicCredentials.create("id", "secret")));
  }

  private static ByteBuffer read(ByteSource s, long position, int length) throws IOException {
    ByteBuffer b = ByteBuffer.allocate(length);
    s.readFully(position, b);
    return b.flip();
  }

  private static byte[] expected(long position, int length) {
    return Arrays.copyOfRange(content, (int) position, (int) position + length);
  }

  /** Runs {@code call}, asserting it fails within the bound; returns the failure. */
  private static IOException failsInTime(org.junit.jupiter.api.function.Executable call) {
    long t0 = System.nanoTime();
    IOException e = assertThrows(IOException.class, call);
    long millis = (System.nanoTime() - t0) / 1_000_000;
    assertTrue(millis < BOUND_MILLIS, "failed after " + millis + " ms: " + e.getMessage());
    return e;
  }

  @Test
  void aServerThatStallsMidBodyFailsTheReadAfterFourAttemptsAndRecovers() throws Exception {
    try (ChunkCachingSource s = openHttp()) {
      server.mode(Mode.STALL);
      int before = server.requests();
      IOException e = failsInTime(() -> read(s, 5 << 20, 4096));
      assertEquals(
          server.url("object.bin") + ": no data for 1 s (gave up after 4 attempts)",
          e.getMessage());
      assertEquals(4, server.requests() - before);
      // the kernel asks again at once for the page a failed read wanted: no four more attempts
      server.mode(Mode.HONEST);
      long t0 = System.nanoTime();
      IOException again = assertThrows(IOException.class, () -> read(s, 5 << 20, 4096));
      assertTrue(System.nanoTime() - t0 < 100_000_000L, "failed again at once");
      assertEquals(e.getMessage(), again.getMessage());
      assertEquals(4, server.requests() - before);
      Thread.sleep(1000);
      assertArrayEquals(expected(5 << 20, 4096), read(s, 5 << 20, 4096).array());
    }
  }

  @Test
  void openingAStalledServerFailsInTime() throws Exception {
    server.mode(Mode.STALL);
    IOException e = failsInTime(this::openHttp);
    assertEquals(
        server.url("object.bin") + ": no data for 1 s (gave up after 4 attempts)", e.getMessage());
  }

  @Test
  void aTruncatedBodySaysHowManyBytesWereMissing() throws Exception {
    try (ChunkCachingSource s = openHttp()) {
      server.mode(Mode.TRUNCATE);
      IOException e = failsInTime(() -> read(s, 2 << 20, 100));
      assertEquals(
          server.url("object.bin")
              + ": the server closed the connection 524288 bytes short of the 1048576 requested"
              + " (gave up after 4 attempts)",
          e.getMessage());
    }
  }

  @Test
  void aWrongContentRangeOrAWholeObjectIsRefusedWithoutRetrying() throws Exception {
    try (ChunkCachingSource s = openHttp()) {
      server.mode(Mode.WRONG_RANGE);
      int before = server.requests();
      IOException e = assertThrows(IOException.class, () -> read(s, 1 << 20, 10));
      assertEquals(
          server.url("object.bin")
              + ": asked for bytes 1048576-2097151, the server sent 1048577-2097152",
          e.getMessage());
      assertEquals(1, server.requests() - before);
      server.mode(Mode.WHOLE);
      e = assertThrows(IOException.class, () -> read(s, 3 << 20, 10));
      assertEquals(
          server.url("object.bin")
              + ": the server ignores byte ranges (it answered a ranged request with 200)",
          e.getMessage());
    }
  }

  /** Bytes that are wrong but well framed pass this layer; the snapshot's checksums catch them. */
  @Test
  void wrongBytesOfTheRightLengthAreDelivered() throws Exception {
    try (ChunkCachingSource s = openHttp()) {
      server.mode(Mode.WRONG_BYTES);
      byte[] got = read(s, 0, 16).array();
      assertFalse(Arrays.equals(expected(0, 16), got));
      assertEquals((byte) ~content[0], got[0]);
    }
  }

  @Test
  void refusedConnectionsAndServerErrorsNameTheUrlAfterFourAttempts() throws Exception {
    try (ChunkCachingSource s = openHttp()) {
      server.mode(Mode.UNAVAILABLE);
      int before = server.requests();
      IOException e = failsInTime(() -> read(s, 4 << 20, 10));
      assertEquals(
          server.url("object.bin") + ": HTTP 503 (gave up after 4 attempts)", e.getMessage());
      assertEquals(4, server.requests() - before);
      server.mode(Mode.REFUSE);
      e = failsInTime(() -> read(s, 5 << 20, 10));
      assertEquals(
          server.url("object.bin") + ": connection refused (gave up after 4 attempts)",
          e.getMessage());
    }
    unknownHost();
  }

  private static void unknownHost() {
    IOException e =
        failsInTime(() -> HttpByteSource.open(URI.create("http://no-such-host.invalid/a.cairn")));
    assertEquals(
        "http://no-such-host.invalid/a.cairn: unknown host no-such-host.invalid", e.getMessage());
  }

  /**
   * A fetch that stalls holds no lock another chunk needs: chunk 0, on the local disk cache, maps
   * to the same in-memory slot as the stalled chunk 16 and is still read at once.
   */
  @Test
  void aStalledFetchDoesNotHoldUpAChunkInTheSameSlot() throws Exception {
    System.setProperty("cairn.cacheDir", Files.createTempDirectory(shared, "cache").toString());
    try (ChunkCachingSource warm = openHttp()) {
      read(warm, 0, 4096);
    }
    try (ChunkCachingSource s = openHttp()) {
      server.mode(Mode.STALL);
      CompletableFuture<ByteBuffer> stalled =
          CompletableFuture.supplyAsync(
              () -> {
                try {
                  return read(s, 16L << 20, 4096);
                } catch (IOException e) {
                  throw new java.io.UncheckedIOException(e);
                }
              });
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
      while (server.requests() < 2 && System.nanoTime() < deadline) {
        Thread.sleep(10); // the probe, then the stalled fetch of chunk 16
      }
      long t0 = System.nanoTime();
      assertArrayEquals(expected(100, 4096), read(s, 100, 4096).array());
      long millis = (System.nanoTime() - t0) / 1_000_000;
      assertTrue(millis < 500, "chunk 0 took " + millis + " ms behind a stalled fetch");
      assertFalse(stalled.isDone(), "the stalled fetch was still waiting");
      Throwable e =
          assertThrows(Exception.class, () -> stalled.get(BOUND_MILLIS, TimeUnit.MILLISECONDS))
              .getCause();
      assertTrue(
          e.getMessage().endsWith("no data for 1 s (gave up after 4 attempts)"), e.toString());
    }
  }

  @Test
  void anS3ServerThatStallsMidBodyFailsTheSameWay() throws Exception {
    S3ByteSource.Settings settings = s3Settings();
    try (ChunkCachingSource s =
        ChunkCachingSource.of(S3ByteSource.open(URI.create("s3://bucket/object.bin"), settings))) {
      assertEquals(content.length, s.size());
      assertArrayEquals(expected(3 << 20, 100), read(s, 3 << 20, 100).array());
      // chunks three apart: a sequential reader's read-ahead would fetch the next chunk early,
      // under the mode in force then
      server.mode(Mode.STALL);
      IOException e = failsInTime(() -> read(s, 6 << 20, 100));
      assertEquals(
          "s3://bucket/object.bin: no data for 1 s (gave up after 4 attempts)", e.getMessage());
      server.mode(Mode.TRUNCATE);
      e = failsInTime(() -> read(s, 9 << 20, 100));
      assertEquals(
          "s3://bucket/object.bin: the server closed the connection 524288 bytes short of the"
              + " 1048576 requested (gave up after 4 attempts)",
          e.getMessage());
      server.mode(Mode.REFUSE);
      e = failsInTime(() -> read(s, 12 << 20, 100));
      assertEquals(
          "s3://bucket/object.bin: connection refused (gave up after 4 attempts)", e.getMessage());
      server.mode(Mode.HONEST);
      assertArrayEquals(expected(15 << 20, 100), read(s, 15 << 20, 100).array());
    }
  }

  /**
   * S3 data is fetched with a presigned URL (the SDK signs it; the request carries no Authorization
   * header), and a refusal is tried once more with a URL presigned anew, then reported without the
   * URL.
   */
  @Test
  void s3FetchesUseAPresignedUrlAndARefusalIsTriedOnceMore() throws Exception {
    S3ByteSource.Settings settings = s3Settings();
    try (S3ByteSource s = S3ByteSource.open(URI.create("s3://bucket/object.bin"), settings)) {
      assertArrayEquals(expected(3 << 20, 100), read(s, 3 << 20, 100).array());
      List<String> heads = server.heads();
      String get = heads.get(heads.size() - 1);
      assertTrue(
          get.startsWith("GET /bucket/object.bin?") && get.contains("X-Amz-Signature="), get);
      assertFalse(get.toLowerCase(java.util.Locale.ROOT).contains("\r\nauthorization:"), get);

      server.mode(Mode.FORBIDDEN);
      int before = server.requests();
      IOException e = assertThrows(IOException.class, () -> read(s, 5 << 20, 100));
      assertEquals(
          "s3://bucket/object.bin: S3 refused access (403); check AWS_ACCESS_KEY_ID,"
              + " AWS_SECRET_ACCESS_KEY and AWS_REGION",
          e.getMessage());
      assertEquals(2, server.requests() - before, "the URL presigned anew once, no retries");
      server.mode(Mode.HONEST);
      assertArrayEquals(expected(7 << 20, 100), read(s, 7 << 20, 100).array());
    }
  }

  @Test
  void s3WithoutCredentialsSaysWhichVariablesToSet() {
    S3ByteSource.Settings settings =
        new S3ByteSource.Settings(
            URI.create(server.endpoint()),
            "us-east-1",
            () -> {
              throw SdkClientException.create(
                  "Unable to load credentials from any of the providers");
            });
    IOException e =
        assertThrows(
            IOException.class,
            () -> S3ByteSource.open(URI.create("s3://bucket/object.bin"), settings));
    assertInstanceOf(NoCredentialsException.class, e);
    assertEquals(
        "s3://bucket/object.bin: no AWS credentials found; set AWS_ACCESS_KEY_ID and"
            + " AWS_SECRET_ACCESS_KEY (or AWS_PROFILE)",
        e.getMessage());
    assertEquals(0, server.requests());
  }
}
