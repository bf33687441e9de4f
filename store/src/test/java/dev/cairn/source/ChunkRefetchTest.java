package dev.cairn.source;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cairn.fixture.HostileServer;
import dev.cairn.fixture.HostileServer.Mode;
import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A chunk a server delivered wrong (right range and length, wrong bytes) stays in memory and in the
 * disk cache until {@link ChunkCachingSource#invalidate} drops it; then it is fetched once more and
 * the disk cache holds the right bytes.
 */
class ChunkRefetchTest {
  @TempDir Path dir;
  byte[] content;
  HostileServer server;

  @BeforeEach
  void start() throws IOException {
    System.setProperty("cairn.cacheDir", dir.resolve("cache").toString());
    content = new byte[(3 << 20) + 77];
    new Random(5).nextBytes(content);
    server = HostileServer.serve(Files.write(dir.resolve("object.bin"), content));
  }

  @AfterEach
  void stop() throws IOException {
    System.clearProperty("cairn.cacheDir");
    server.close();
  }

  private ChunkCachingSource open() throws IOException {
    return ChunkCachingSource.of(HttpByteSource.open(URI.create(server.url("object.bin"))));
  }

  private static byte[] read(ByteSource s, long position, int length) throws IOException {
    ByteBuffer b = ByteBuffer.allocate(length);
    s.readFully(position, b);
    return b.array();
  }

  private byte[] expected(long position, int length) {
    return Arrays.copyOfRange(content, (int) position, (int) position + length);
  }

  private long cachedChunkFiles() throws IOException {
    try (Stream<Path> files = Files.walk(dir.resolve("cache"))) {
      return files.filter(f -> f.getFileName().toString().matches("\\d+")).count();
    }
  }

  @Test
  void aWrongChunkIsServedUntilInvalidatedThenFetchedAgainAndCachedRight() throws Exception {
    long at = (1 << 20) + 1000;
    try (ChunkCachingSource s = open()) {
      server.mode(Mode.WRONG_BYTES);
      byte[] first = read(s, at, 4096);
      assertEquals((byte) ~content[(int) at], first[0]);
      server.mode(Mode.HONEST);
      int before = server.requests();
      assertArrayEquals(first, read(s, at, 4096), "served from memory, no request");
      assertEquals(before, server.requests());
      try (ChunkCachingSource other = open()) {
        int beforeOther = server.requests();
        assertArrayEquals(first, read(other, at, 4096), "served from the disk cache");
        assertEquals(beforeOther, server.requests());
      }
      assertEquals(1, cachedChunkFiles());

      assertTrue(s.invalidate(at, 4096));
      assertEquals(0, cachedChunkFiles(), "the disk copy is gone");
      before = server.requests();
      assertArrayEquals(expected(at, 4096), read(s, at, 4096));
      assertEquals(1, server.requests() - before, "the chunk is fetched once more");
    }
    try (ChunkCachingSource fresh = open()) {
      int before = server.requests();
      assertArrayEquals(expected(at, 4096), read(fresh, at, 4096));
      assertEquals(before, server.requests(), "the right bytes come from the disk cache");
    }
    assertEquals(1, cachedChunkFiles());
  }

  @Test
  void invalidateDropsEveryChunkTheRangeCovers() throws Exception {
    // the last two chunks: nothing lies beyond them to read ahead
    long at = (3 << 20) - 100;
    try (ChunkCachingSource s = open()) {
      server.mode(Mode.WRONG_BYTES);
      byte[] wrong = read(s, at, 150);
      assertFalse(Arrays.equals(expected(at, 150), wrong));
      assertEquals(2, cachedChunkFiles());
      server.mode(Mode.HONEST);
      assertTrue(s.invalidate(at, 150));
      assertEquals(0, cachedChunkFiles());
      int before = server.requests();
      assertArrayEquals(expected(at, 150), read(s, at, 150));
      assertEquals(2, server.requests() - before);
    }
  }

  @Test
  void localFilesKeepNoCopyToDrop() throws IOException {
    try (ByteSource f = FileByteSource.open(dir.resolve("object.bin"));
        ByteSource m = ByteSource.openLocal(dir.resolve("object.bin"))) {
      assertFalse(f.invalidate(0, 10));
      assertFalse(m.invalidate(0, 10));
    }
  }
}
