package dev.cairn.read;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cairn.source.FileByteSource;
import dev.cairn.write.Pack;
import dev.cairn.write.WriterOptions;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.function.ToLongFunction;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Sequential readers trigger read-ahead into the cache; random readers do not. */
class PrefetcherTest {
  @TempDir Path dir;

  private byte[] data;

  private Snapshot open(boolean prefetch) throws IOException {
    data = new byte[64 << 20];
    Random r = new Random(3);
    for (int i = 0; i < data.length; i += 8) {
      data[i] = (byte) r.nextInt();
    }
    Path in = dir.resolve("in.img");
    Files.write(in, data);
    Path snap = dir.resolve("s.cairn");
    Pack.run(List.of(new Pack.Input(in, "in.img")), snap, WriterOptions.defaults(), p -> {});
    return Snapshot.open(
        FileByteSource.open(snap),
        BlockCache.withCapacity(64 << 20).withPrefetch(prefetch),
        new ReadStats());
  }

  private static long stat(Snapshot s, ToLongFunction<ReadStatsSnapshot> counter) {
    return counter.applyAsLong(s.stats().snapshot());
  }

  /** Read-ahead runs on a pool: give it up to 5 s to load its first block. */
  private static void awaitPrefetch(Snapshot s) throws InterruptedException {
    long deadline = System.nanoTime() + 5_000_000_000L;
    while (stat(s, ReadStatsSnapshot::prefetchBlocks) == 0 && System.nanoTime() < deadline) {
      Thread.sleep(10);
    }
  }

  @Test
  void sequentialReadsWarmTheCacheAheadAndReturnTheRightBytes() throws Exception {
    try (Snapshot s = open(true)) {
      StreamReader r = s.stream(0);
      ByteBuffer buf = ByteBuffer.allocateDirect(128 << 10);
      byte[] got = new byte[data.length];
      for (long off = 0; off < data.length; off += buf.capacity()) {
        buf.clear();
        int n = r.read(off, buf);
        buf.flip().get(got, (int) off, n);
      }
      assertArrayEquals(data, got);
      awaitPrefetch(s);
      assertTrue(stat(s, ReadStatsSnapshot::prefetchBlocks) > 0, "read-ahead loaded blocks");
      assertTrue(
          stat(s, ReadStatsSnapshot::prefetchHits) > 0, "foreground reads used read-ahead blocks");
    }
  }

  /**
   * FUSE sends 1 MiB requests that overtake each other: pairs arriving swapped (1M, 0, 3M, 2M, ...)
   * are still one sequential reader.
   */
  @Test
  void reorderedOneMebibyteRequestsReadAhead() throws Exception {
    try (Snapshot s = open(true)) {
      StreamReader r = s.stream(0);
      int request = 1 << 20;
      ByteBuffer buf = ByteBuffer.allocateDirect(request);
      byte[] got = new byte[data.length];
      for (long pair = 0; pair < data.length; pair += 2L * request) {
        for (long off : new long[] {pair + request, pair}) {
          buf.clear();
          int n = r.read(off, buf);
          assertEquals(request, n);
          buf.flip().get(got, (int) off, n);
        }
      }
      assertArrayEquals(data, got);
      awaitPrefetch(s);
      assertTrue(stat(s, ReadStatsSnapshot::prefetchBlocks) > 0, "read-ahead loaded blocks");
    }
  }

  @Test
  void randomReadsDoNotReadAhead() throws Exception {
    try (Snapshot s = open(true)) {
      StreamReader r = s.stream(0);
      Random rnd = new Random(9);
      ByteBuffer buf = ByteBuffer.allocate(4096);
      for (int i = 0; i < 200; i++) {
        long off = (rnd.nextLong() & Long.MAX_VALUE) % (data.length - 4096);
        off -= off % 4096;
        buf.clear();
        r.read(off, buf);
        assertArrayEquals(
            Arrays.copyOfRange(data, (int) off, (int) off + 4096), buf.array(), "at " + off);
      }
      Thread.sleep(200);
      assertEquals(0, stat(s, ReadStatsSnapshot::prefetchBlocks));
    }
  }

  @Test
  void offByDefault() throws Exception {
    try (Snapshot s = open(false)) {
      ByteBuffer buf = ByteBuffer.allocateDirect(1 << 20);
      for (long off = 0; off < 8 << 20; off += buf.capacity()) {
        buf.clear();
        s.stream(0).read(off, buf);
      }
      assertEquals(0, stat(s, ReadStatsSnapshot::prefetchBlocks));
    }
  }
}
