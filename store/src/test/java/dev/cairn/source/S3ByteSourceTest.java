package dev.cairn.source;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cairn.fixture.S3Proxy;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;

/** The byte-source contract against a real S3 server (S3Proxy), plus what only S3 can get wrong. */
class S3ByteSourceTest extends ByteSourceContract {
  private static final String BUCKET = "snapshots";
  @TempDir static Path shared;
  static S3Proxy s3;
  private static int objects;

  @BeforeAll
  static void startS3() throws Exception {
    s3 = S3Proxy.start(Files.createDirectories(shared.resolve("s3proxy")));
  }

  @AfterAll
  static void stopS3() throws Exception {
    if (s3 != null) {
      s3.close();
    }
  }

  @Override
  protected ByteSource open(byte[] content) throws IOException {
    String key = "dir/object " + objects++ + ".bin";
    s3.put(BUCKET, key, content);
    return ChunkCachingSource.of(
        S3ByteSource.open(
            URI.create("s3://" + BUCKET + "/dir/object%20" + (objects - 1) + ".bin"),
            s3.settings()));
  }

  @Test
  void aMissingKeyOrBucketIsNoSuchFileAndNamesTheObject() {
    NoSuchFileException e =
        assertThrows(
            NoSuchFileException.class,
            () ->
                S3ByteSource.open(URI.create("s3://" + BUCKET + "/missing.cairn"), s3.settings()));
    assertTrue(e.getMessage().contains("s3://snapshots/missing.cairn"), e.getMessage());
    assertTrue(e.getMessage().contains("404"), e.getMessage());
    assertThrows(
        NoSuchFileException.class,
        () -> S3ByteSource.open(URI.create("s3://no-such-bucket/a.cairn"), s3.settings()));
  }

  @Test
  void wrongCredentialsAreAnAccessErrorNamingTheVariables() {
    S3ByteSource.Settings wrong =
        new S3ByteSource.Settings(
            s3.endpoint(),
            S3Proxy.REGION,
            StaticCredentialsProvider.create(AwsBasicCredentials.create("nobody", "wrong")));
    s3.put(BUCKET, "secret.bin", new byte[] {1, 2, 3});
    IOException e =
        assertThrows(
            IOException.class,
            () -> S3ByteSource.open(URI.create("s3://" + BUCKET + "/secret.bin"), wrong));
    assertFalse(e instanceof NoSuchFileException, e.toString());
    assertTrue(e.getMessage().contains("AWS_ACCESS_KEY_ID"), e.getMessage());
  }

  @Test
  void urlsAreRecognisedAndMalformedOnesRefused() throws IOException {
    assertTrue(S3ByteSource.isUrl("s3://bucket/key"));
    assertTrue(RemoteByteSource.isRemote("s3://bucket/key"));
    assertFalse(S3ByteSource.isUrl("https://bucket/key"));
    assertThrows(
        IllegalArgumentException.class,
        () -> S3ByteSource.open(URI.create("s3://bucket-only/"), s3.settings()));
    s3.put(BUCKET, "x.bin", new byte[] {7});
    try (ByteSource s = S3ByteSource.open(URI.create("s3://" + BUCKET + "/x.bin"), s3.settings())) {
      assertEquals("s3://snapshots/x.bin", s.describe());
      assertEquals(1, s.size());
    }
  }

  @Test
  void settingsComeFromTheUsualEnvironmentVariables() {
    S3ByteSource.Settings s =
        S3ByteSource.Settings.from(
            Map.of("AWS_ENDPOINT_URL", "http://minio:9000", "AWS_DEFAULT_REGION", "eu-west-1"));
    assertEquals(URI.create("http://minio:9000"), s.endpoint());
    assertEquals("eu-west-1", s.region());
    S3ByteSource.Settings specific =
        S3ByteSource.Settings.from(
            Map.of(
                "AWS_ENDPOINT_URL", "http://a",
                "AWS_ENDPOINT_URL_S3", "http://b",
                "AWS_REGION", "ap-south-1",
                "AWS_DEFAULT_REGION", "eu-west-1"));
    assertEquals(URI.create("http://b"), specific.endpoint());
    assertEquals("ap-south-1", specific.region());
    S3ByteSource.Settings aws = S3ByteSource.Settings.from(Map.of());
    assertEquals(null, aws.endpoint());
    assertEquals("us-east-1", aws.region());
  }

  @Test
  void remoteSourcesOpenByScheme() throws IOException {
    assertInstanceOf(
        IllegalArgumentException.class,
        assertThrows(
            IllegalArgumentException.class,
            () -> RemoteByteSource.open(URI.create("ftp://host/a.cairn"))));
  }

  /**
   * A sequential reader through the chunk cache gets coalesced read-ahead from S3 too: each chunk
   * fetched once, in fewer requests than chunks, every byte in its place.
   */
  @Test
  void sequentialReadsThroughTheChunkCacheAreCoalescedOverS3() throws Exception {
    System.setProperty("cairn.cacheDir", "none");
    try {
      byte[] content = new byte[(12 << 20) + 333];
      new java.util.Random(77).nextBytes(content);
      s3.put(BUCKET, "seq.bin", content);
      try (ChunkCachingSource c =
          ChunkCachingSource.of(
              S3ByteSource.open(URI.create("s3://" + BUCKET + "/seq.bin"), s3.settings()))) {
        org.junit.jupiter.api.Assertions.assertArrayEquals(content, readAll(c));
        assertEquals((long) content.length, c.counters().get("bytes_fetched"));
        long requests = (Long) c.counters().get("requests");
        assertTrue(requests < 13, c.counters().toString());
      }
    } finally {
      System.clearProperty("cairn.cacheDir");
    }
  }
}
