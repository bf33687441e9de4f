package dev.cairn.source;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cairn.error.RemoteUnavailableException;
import dev.cairn.fixture.HostileServer;
import dev.cairn.fixture.HostileServer.Mode;
import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Opening a remote object whose server does not answer: with a disk cache that holds all of it, at
 * the first failed attempt; otherwise after every attempt, with a message saying what is missing.
 * Counted on a server that answers every request with 503.
 */
class RemoteObjectsTest {
  @TempDir Path dir;
  byte[] content;
  HostileServer server;
  URI url;

  @BeforeEach
  void start() throws IOException {
    content = new byte[(3 << 20) + 77];
    new Random(5).nextBytes(content);
    server = HostileServer.serve(Files.write(dir.resolve("object.bin"), content));
    url = URI.create(server.url("object.bin"));
    System.setProperty("cairn.cacheDir", dir.resolve("cache").toString());
  }

  @AfterEach
  void stop() throws IOException {
    System.clearProperty("cairn.cacheDir");
    server.close();
  }

  private static byte[] read(ByteSource s, long position, int length) throws IOException {
    ByteBuffer b = ByteBuffer.allocate(length);
    s.readFully(position, b);
    return b.array();
  }

  @Test
  void aWholeCacheIsReadAfterOneFailedAttempt() throws Exception {
    try (ChunkCachingSource s = RemoteObjects.open(url)) {
      s.warm(done -> {});
    }
    server.mode(Mode.UNAVAILABLE);
    int before = server.requests();
    try (ChunkCachingSource s = RemoteObjects.open(url)) {
      assertEquals(1, server.requests() - before, "one attempt, no retries");
      assertArrayEquals(
          Arrays.copyOfRange(content, 3 << 20, content.length),
          read(s, 3 << 20, content.length - (3 << 20)));
      assertArrayEquals(Arrays.copyOfRange(content, 10, 4106), read(s, 10, 4096));
    }
    assertEquals(1, server.requests() - before, "everything from the disk cache");
  }

  @Test
  void aPartCacheWaitsForEveryAttemptThenSaysWhatIsMissing() throws Exception {
    try (ChunkCachingSource s = RemoteObjects.open(url)) {
      read(s, 0, 100); // the first chunk only
    }
    server.mode(Mode.UNAVAILABLE);
    int before = server.requests();
    RemoteUnavailableException e =
        assertThrows(RemoteUnavailableException.class, () -> RemoteObjects.open(url));
    assertEquals(RetryPolicy.ATTEMPTS, server.requests() - before, e.getMessage());
    assertTrue(
        e.getMessage()
            .startsWith(
                url
                    + ": HTTP 503 (gave up after "
                    + RetryPolicy.ATTEMPTS
                    + " attempts); the disk cache holds 33.3 % of it"),
        e.getMessage());
  }
}
