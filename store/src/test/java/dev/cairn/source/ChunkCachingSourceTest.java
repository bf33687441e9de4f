package dev.cairn.source;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cairn.source.FaultySource.Read;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Arrays;
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

  private FaultySource faulty(byte[] content) throws IOException {
    return new FaultySource(FileByteSource.open(localFile(content)));
  }

  private static byte[] read(ByteSource s, long position, int length) throws IOException {
    ByteBuffer b = ByteBuffer.allocate(length);
    s.readFully(position, b);
    return b.array();
  }

  private static byte[] slice(byte[] content, long position, int length) {
    return Arrays.copyOfRange(content, (int) position, (int) position + length);
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
          Map.of("requests", 0L, "bytes_fetched", 0L, "disk_cache_chunks", 1L), s.counters());
    }
    assertEquals(List.of(), second.reads());
  }
}
