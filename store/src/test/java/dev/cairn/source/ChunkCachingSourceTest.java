package dev.cairn.source;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cairn.source.FaultySource.Read;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The chunk cache in front of a source, over a local file wrapped in a {@link FaultySource}: which
 * reads reach the inner source, what happens when they stall or fail, and the disk cache across two
 * sources of the same object version. The contract holds too.
 */
class ChunkCachingSourceTest extends ByteSourceContract {
  private static final int MIB = 1 << 20;

  @TempDir Path dir;

  @AfterEach
  void clearProperties() {
    System.clearProperty("cairn.remote.timeout");
    System.clearProperty("cairn.cacheDir");
  }

  @Override
  protected ByteSource open(byte[] content) throws IOException {
    return new ChunkCachingSource(
        FileByteSource.open(localFile(content)), null, new RemoteCounters());
  }

  @Test
  void smallReadsOfOneChunkFetchThatWholeChunkOnce() throws IOException {
    byte[] content = randomBytes(5 * MIB + 100, 1);
    FaultySource inner = faulty(content);
    try (ChunkCachingSource s = new ChunkCachingSource(inner, null, new RemoteCounters())) {
      assertArrayEquals(slice(content, 100, 4096), read(s, 100, 4096));
      assertArrayEquals(slice(content, MIB - 10, 10), read(s, MIB - 10, 10));
      assertEquals(List.of(new Read(0, MIB)), inner.reads());
    }
  }

  /** Opening reads both ends: the last chunk is on its way before anyone reads it, once. */
  @Test
  void theLastChunkStartsLoadingBeforeItIsRead() throws Exception {
    byte[] content = randomBytes(3 * MIB + 500, 11);
    FaultySource inner = faulty(content);
    try (ChunkCachingSource s = new ChunkCachingSource(inner, null, new RemoteCounters())) {
      s.startLoadingLastChunk();
      long deadline = System.nanoTime() + 10_000_000_000L;
      while (inner.reads().isEmpty() && System.nanoTime() < deadline) {
        Thread.sleep(5);
      }
      assertEquals(List.of(new Read(3L * MIB, 500)), inner.reads(), "the last chunk, unasked");
      assertArrayEquals(slice(content, 3 * MIB + 100, 400), read(s, 3L * MIB + 100, 400));
      assertArrayEquals(slice(content, 10, 100), read(s, 10, 100));
      assertEquals(List.of(new Read(3L * MIB, 500), new Read(0, MIB)), inner.reads());
    }
    FaultySource small = faulty(randomBytes(MIB - 1, 12));
    try (ChunkCachingSource s = new ChunkCachingSource(small, null, new RemoteCounters())) {
      s.startLoadingLastChunk();
      Thread.sleep(50);
      assertEquals(List.of(), small.reads(), "one chunk: it is the first, read at once anyway");
    }
  }

  @Test
  void aReadAcrossFourChunksBoundariesGoesToTheInnerSourceAsItIs() throws IOException {
    byte[] content = randomBytes(5 * MIB + 100, 2);
    FaultySource inner = faulty(content);
    try (ChunkCachingSource s = new ChunkCachingSource(inner, null, new RemoteCounters())) {
      assertArrayEquals(slice(content, 7, 4 * MIB), read(s, 7, 4 * MIB));
      assertEquals(List.of(new Read(7, 4 * MIB)), inner.reads());
    }
  }

  @Test
  void concurrentReadersOfOneChunkWaitForOneReadAndShareIt() throws Exception {
    byte[] content = randomBytes(2 * MIB, 3);
    FaultySource inner = faulty(content);
    CountDownLatch entered = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    inner.fault =
        (position, length) -> {
          entered.countDown();
          try {
            release.await();
          } catch (InterruptedException e) {
            throw new IOException(e);
          }
        };
    try (ChunkCachingSource s = new ChunkCachingSource(inner, null, new RemoteCounters())) {
      CompletableFuture<byte[]> first = CompletableFuture.supplyAsync(() -> readQuietly(s, 10));
      assertTrue(entered.await(10, TimeUnit.SECONDS));
      CompletableFuture<byte[]> second = CompletableFuture.supplyAsync(() -> readQuietly(s, 5000));
      Thread.sleep(100);
      release.countDown();
      assertArrayEquals(slice(content, 10, 100), first.get(10, TimeUnit.SECONDS));
      assertArrayEquals(slice(content, 5000, 100), second.get(10, TimeUnit.SECONDS));
      assertEquals(List.of(new Read(0, MIB)), inner.reads());
    }
  }

  private static byte[] readQuietly(ByteSource s, long position) {
    try {
      return read(s, position, 100);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /**
   * A chunk whose read failed after a whole timeout fails again at once for a second, with the same
   * message and no read of the inner source; then it is read again.
   */
  @Test
  void aChunkThatFailedAfterATimeoutFailsAgainAtOnceForOneSecond() throws Exception {
    System.setProperty("cairn.remote.timeout", "1");
    byte[] content = randomBytes(3 * MIB, 4);
    FaultySource inner = faulty(content);
    inner.fault =
        (position, length) -> {
          try {
            Thread.sleep(1050);
          } catch (InterruptedException e) {
            throw new IOException(e);
          }
          throw new IOException("obj: no data for 1 s (gave up after 4 attempts)");
        };
    try (ChunkCachingSource s = new ChunkCachingSource(inner, null, new RemoteCounters())) {
      IOException e = assertThrows(IOException.class, () -> read(s, 2 * MIB + 5, 10));
      assertEquals("obj: no data for 1 s (gave up after 4 attempts)", e.getMessage());
      inner.fault = (position, length) -> {};
      long t0 = System.nanoTime();
      IOException again = assertThrows(IOException.class, () -> read(s, 2 * MIB + 5, 10));
      assertTrue(System.nanoTime() - t0 < 100_000_000L, "failed again at once");
      assertEquals(e.getMessage(), again.getMessage());
      assertEquals(List.of(new Read(2 * MIB, MIB)), inner.reads());
      Thread.sleep(1000);
      assertArrayEquals(slice(content, 2 * MIB + 5, 10), read(s, 2 * MIB + 5, 10));
      assertEquals(2, inner.reads().size());
    }
  }

  /** A quick failure is not remembered: the next read of the chunk tries again. */
  @Test
  void aChunkThatFailedQuicklyIsReadAgainAtOnce() throws Exception {
    byte[] content = randomBytes(MIB, 5);
    FaultySource inner = faulty(content);
    inner.fault =
        (position, length) -> {
          throw new IOException("obj: connection refused (gave up after 4 attempts)");
        };
    try (ChunkCachingSource s = new ChunkCachingSource(inner, null, new RemoteCounters())) {
      IOException e = assertThrows(IOException.class, () -> read(s, 0, 10));
      assertEquals("obj: connection refused (gave up after 4 attempts)", e.getMessage());
      inner.fault = (position, length) -> {};
      assertArrayEquals(slice(content, 0, 10), read(s, 0, 10));
      assertEquals(List.of(new Read(0, MIB), new Read(0, MIB)), inner.reads());
    }
  }

  private static ChunkCachingSource diskCached(FaultySource inner) throws IOException {
    return new ChunkCachingSource(
        inner, DiskChunkCache.forObject("test://obj", inner.size(), "v1"), new RemoteCounters());
  }

  /** A later source of the same object version takes its chunks from the disk cache. */
  @Test
  void aLaterSourceOfTheSameVersionReadsChunksFromTheDiskCache() throws IOException {
    System.setProperty("cairn.cacheDir", dir.resolve("cache").toString());
    byte[] content = randomBytes(MIB + 300, 6);
    FaultySource first = faulty(content);
    try (ChunkCachingSource s = diskCached(first)) {
      assertArrayEquals(slice(content, MIB + 10, 200), read(s, MIB + 10, 200));
      assertEquals(0L, s.counters().get("disk_cache_chunks"));
    }
    assertEquals(List.of(new Read(MIB, 300)), first.reads());
    FaultySource second = faulty(content);
    try (ChunkCachingSource s = diskCached(second)) {
      assertArrayEquals(slice(content, MIB + 10, 200), read(s, MIB + 10, 200));
      assertEquals(
          Map.of(
              "requests",
              0L,
              "bytes_fetched",
              0L,
              "disk_cache_chunks",
              1L,
              "cached_bytes",
              300L,
              "cached_percent",
              0.0),
          s.counters());
    }
    assertEquals(List.of(), second.reads());
  }

  /** A chunk cache with its own limits and window, so that the test sets every bound. */
  private static ChunkCachingSource windowed(
      ByteSource inner, DiskChunkCache disk, long maxInFlight, int initial) throws IOException {
    return new ChunkCachingSource(
        inner,
        disk,
        new RemoteCounters(),
        new RemoteLimits(8, 0, maxInFlight),
        null,
        new ReadAheadWindow(initial, 24, ChunkCachingSource.MAX_RUN),
        0,
        false);
  }

  /**
   * A sequential reader's read-ahead goes out as ranged reads of several adjacent chunks, every
   * byte read exactly once.
   */
  @Test
  void aSequentialReaderFetchesEveryByteOnceInCoalescedReads() throws IOException {
    byte[] content = randomBytes(32 * MIB + 1234, 7);
    FaultySource inner = faulty(content);
    // a window of 24 chunks outruns the 16 kept in memory; with a disk cache, as in use, a chunk
    // read ahead and dropped from memory comes back from disk, not from the server
    System.setProperty("cairn.cacheDir", dir.resolve("cache").toString());
    try (ChunkCachingSource s =
        windowed(
            inner, DiskChunkCache.forObject("test://seq", content.length, "v1"), 32 * MIB, 8)) {
      assertArrayEquals(content, readAll(s));
    }
    List<Read> reads =
        inner.reads().stream().sorted(java.util.Comparator.comparingLong(Read::position)).toList();
    long next = 0;
    for (Read r : reads) {
      assertEquals(next, r.position(), "no byte twice, none left out: " + reads);
      next += r.length();
    }
    assertEquals(content.length, next);
    assertTrue(reads.size() <= 33 / 2, reads.size() + " reads for 33 chunks: " + reads);
    assertTrue(reads.stream().anyMatch(r -> r.length() >= 4 * MIB), reads.toString());
    assertTrue(reads.stream().allMatch(r -> r.length() <= ChunkCachingSource.MAX_RUN * MIB));
  }

  /**
   * Read-ahead that finds the budget of bytes in flight spent is not started: reads go one by one.
   */
  @Test
  void readAheadBeyondTheBudgetInFlightIsNotStarted() throws IOException {
    byte[] content = randomBytes(8 * MIB, 8);
    FaultySource inner = faulty(content);
    // a budget of 1 MiB cannot hold a run of two chunks or more (a window of 8: runs of 2)
    try (ChunkCachingSource s = windowed(inner, null, MIB, 8)) {
      assertArrayEquals(content, readAll(s));
    }
    assertTrue(inner.reads().stream().allMatch(r -> r.length() <= MIB), inner.reads().toString());
    assertEquals(8, inner.reads().size());
  }

  /** Random reads read nothing ahead: a fleet reading a few blocks fetches only those. */
  @Test
  void randomReadsFetchOnlyTheChunksRead() throws IOException {
    byte[] content = randomBytes(64 * MIB, 9);
    FaultySource inner = faulty(content);
    long[] positions = {40L * MIB + 5, 3L * MIB, 60L * MIB + 77, 17L * MIB, 9L * MIB + 1000};
    try (ChunkCachingSource s = windowed(inner, null, 32 * MIB, 4)) {
      for (long p : positions) {
        assertArrayEquals(slice(content, p, 4096), read(s, p, 4096));
      }
    }
    assertEquals(positions.length, inner.reads().size(), inner.reads().toString());
  }

  /**
   * {@code warm} puts every chunk on disk in coalesced reads, reporting progress up to the size; a
   * later source of the same version then reads everything with its server failing every read.
   */
  @Test
  void warmingFillsTheDiskCacheSoThatALaterSourceNeedsNoServer() throws IOException {
    System.setProperty("cairn.cacheDir", dir.resolve("cache").toString());
    byte[] content = randomBytes(10 * MIB + 5, 10);
    FaultySource first = faulty(content);
    List<Long> progress = new java.util.concurrent.CopyOnWriteArrayList<>();
    try (ChunkCachingSource s =
        windowed(
            first, DiskChunkCache.forObject("test://warm", content.length, "v1"), 32 * MIB, 4)) {
      read(s, 0, 10); // chunk 0 cached by a read first: warm fetches the rest
      assertEquals(10L * MIB + 5 - MIB, s.warm(progress::add));
      assertEquals(100.0, s.counters().get("cached_percent"));
      assertEquals((long) content.length, s.counters().get("cached_bytes"));
    }
    assertEquals(
        (long) content.length, progress.stream().mapToLong(Long::longValue).max().orElse(0));
    assertTrue(first.reads().size() <= 1 + 3, first.reads().toString());
    FaultySource gone = faulty(content);
    gone.fault =
        (position, length) -> {
          throw new IOException("obj: connection refused (gave up after 4 attempts)");
        };
    try (ChunkCachingSource s =
        windowed(
            gone, DiskChunkCache.forObject("test://warm", content.length, "v1"), 32 * MIB, 4)) {
      assertArrayEquals(content, readAll(s));
      assertEquals(0L, s.warm(p -> {}), "nothing left to fetch");
    }
    assertEquals(List.of(), gone.reads());
  }

  @Test
  void warmingWithoutADiskCacheFailsSayingSo() throws IOException {
    try (ChunkCachingSource s = windowed(faulty(new byte[100]), null, MIB, 4)) {
      IOException e = assertThrows(IOException.class, () -> s.warm(p -> {}));
      assertTrue(e.getMessage().contains("no disk cache to fetch into"), e.getMessage());
    }
  }
}
