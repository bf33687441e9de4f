package dev.cairn.source;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DiskChunkCacheTest {
  @TempDir Path dir;

  @BeforeEach
  void useTempDir() {
    System.setProperty("cairn.cacheDir", dir.toString());
  }

  @AfterEach
  void restore() {
    System.clearProperty("cairn.cacheDir");
    System.clearProperty("cairn.cacheLimit");
  }

  private static byte[] bytes(int n, long seed) {
    byte[] b = new byte[n];
    new Random(seed).nextBytes(b);
    return b;
  }

  @Test
  void aStoredChunkComesBackForTheSameObjectVersionOnly() {
    byte[] data = bytes(1000, 1);
    DiskChunkCache.forObject("http://h/a.cairn", 5000, "\"etag-1\"").put(3, data);
    assertArrayEquals(
        data, DiskChunkCache.forObject("http://h/a.cairn", 5000, "\"etag-1\"").get(3, 1000));
    assertNull(DiskChunkCache.forObject("http://h/a.cairn", 5000, "\"etag-2\"").get(3, 1000));
    assertNull(DiskChunkCache.forObject("http://h/a.cairn", 5001, "\"etag-1\"").get(3, 1000));
    assertNull(DiskChunkCache.forObject("http://h/b.cairn", 5000, "\"etag-1\"").get(3, 1000));
    assertNull(DiskChunkCache.forObject("http://h/a.cairn", 5000, "\"etag-1\"").get(4, 1000));
  }

  @Test
  void aDamagedOrShortChunkIsDroppedNotServed() throws IOException {
    DiskChunkCache c = DiskChunkCache.forObject("s3://b/k", 9, null);
    c.put(0, bytes(4096, 2));
    Path file = onlyChunkFile();
    byte[] raw = Files.readAllBytes(file);
    raw[100] ^= 1;
    Files.write(file, raw);
    assertNull(c.get(0, 4096), "CRC mismatch");
    assertFalse(Files.exists(file), "deleted so that it is fetched again");
    c.put(0, bytes(4096, 2));
    assertNull(c.get(0, 4095), "wrong length");
    c.put(0, bytes(4096, 2));
    assertNotNull(c.get(0, 4096));
  }

  @Test
  void turnedOffWithNone() {
    System.setProperty("cairn.cacheDir", "none");
    assertNull(DiskChunkCache.forObject("http://h/a", 1, null));
  }

  @Test
  void theLeastRecentlyUsedChunksGoWhenTheLimitIsPassed() throws Exception {
    System.setProperty("cairn.cacheLimit", "100K");
    DiskChunkCache c = DiskChunkCache.forObject("http://h/big", 1 << 30, "v");
    // file times may tick only once per jiffy (up to 10 ms): keep the puts well apart
    for (int i = 0; i < 10; i++) {
      c.put(i, bytes(10_000, i));
      Thread.sleep(20);
    }
    Thread.sleep(50);
    assertNotNull(c.get(0, 10_000)); // touched: now the most recent
    for (int i = 10; i < 14; i++) {
      c.put(i, bytes(10_000, i));
    }
    long total;
    try (Stream<Path> s = Files.walk(dir)) {
      total = s.filter(DiskChunkCacheTest::isChunk).mapToLong(p -> p.toFile().length()).sum();
    }
    assertTrue(total <= 100 << 10, "cache holds " + total + " bytes");
    assertNotNull(c.get(0, 10_000), "recently used chunk kept");
    assertNull(c.get(1, 10_000), "oldest chunk evicted");
    assertNotNull(c.get(13, 10_000), "newest chunk kept");
  }

  /**
   * Files another process wrote unseen (a second mount process sharing the folder) are counted once
   * this process has written a sixteenth of the limit: the cache is brought under its limit.
   */
  @Test
  void whatAnotherProcessWroteIsCountedAndEvictedToo() throws Exception {
    System.setProperty("cairn.cacheLimit", "1M");
    DiskChunkCache mine = DiskChunkCache.forObject("http://h/mine", 1 << 30, "v");
    mine.put(0, bytes(10_000, 1)); // this process counts the folder: nearly empty
    Path other =
        Files.createDirectories(
            dir.resolve(CacheRoot.VERSIONED).resolve("0123456789abcdef0123456789abcdef"));
    byte[] hash = new byte[32];
    for (int i = 0; i < 30; i++) { // 3 MB behind this process's back
      ChunkFile.write(other.resolve(Integer.toString(i)), hash, i, bytes(100_000, i));
    }
    for (int i = 1; i <= 7; i++) { // 70 KB: past a sixteenth of 1 MiB
      mine.put(i, bytes(10_000, i));
    }
    long total;
    try (Stream<Path> s = Files.walk(dir)) {
      total = s.filter(DiskChunkCacheTest::isChunk).mapToLong(p -> p.toFile().length()).sum();
    }
    assertTrue(total <= 1 << 20, "cache holds " + total + " bytes");
  }

  @Test
  void halfWrittenChunksLeftByADeadProcessAreSweptAway() throws IOException {
    DiskChunkCache c = DiskChunkCache.forObject("http://h/x", 10, "v");
    Path objectDir =
        Files.createDirectories(
            dir.resolve(CacheRoot.VERSIONED).resolve("0123456789abcdef0123456789abcdef"));
    Path stale = Files.write(objectDir.resolve(".tmp-7-dead"), new byte[100]);
    Files.setLastModifiedTime(
        stale, java.nio.file.attribute.FileTime.from(java.time.Instant.now().minusSeconds(3600)));
    Path fresh = Files.write(objectDir.resolve(".tmp-8-writing"), new byte[100]);
    c.put(0, bytes(10, 1));
    assertFalse(Files.exists(stale), "an hour-old temporary file is gone");
    assertTrue(Files.exists(fresh), "a temporary file being written now is left alone");
  }

  private Path onlyChunkFile() throws IOException {
    try (Stream<Path> s = Files.walk(dir)) {
      return s.filter(DiskChunkCacheTest::isChunk).findFirst().orElseThrow();
    }
  }

  private static boolean isChunk(Path p) {
    return Files.isRegularFile(p) && p.getFileName().toString().matches("[0-9]+");
  }
}
