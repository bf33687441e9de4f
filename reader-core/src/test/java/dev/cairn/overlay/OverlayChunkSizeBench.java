package dev.cairn.overlay;

import dev.cairn.read.Snapshot;
import dev.cairn.testing.TestData;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;

/**
 * Measures how the overlay's chunk size affects the workloads a filesystem on a loop device
 * produces, to choose {@link OverlayImage#DEFAULT_CHUNK_SIZE}. Not a test (no assertions on time);
 * run it with
 *
 * <pre>
 * mvn -o -pl store,reader-core test -Dtest=OverlayChunkSizeBench -Dcairn.bench=true
 * </pre>
 *
 * For each chunk size: 4 KiB random writes with one fsync at the end (fio randwrite + end_fsync),
 * the same with an fsync every 16 writes (a journalling filesystem's pattern), 128 KiB sequential
 * writes (FUSE big_writes) with one fsync, and 4 KiB random reads afterwards; plus the bytes the
 * overlay put on disk per byte written.
 */
@EnabledIfSystemProperty(named = "cairn.bench", matches = "true")
class OverlayChunkSizeBench {
  private static final int BASE_SIZE = 128 << 20;
  private static final int RANDOM_WRITES = 20_000;
  private static final int SEQUENTIAL_BYTES = 64 << 20;

  @TempDir Path tmp;

  @Test
  void compareChunkSizes() throws IOException {
    byte[] baseBytes = TestData.generate(TestData.Kind.MIXED, BASE_SIZE, 65536, 1);
    Path basePath = Bases.write(tmp.resolve("base.cairn"), baseBytes, 16);
    // Page-like payloads: half text (compressible), half random.
    byte[] pool = new byte[8 << 20];
    System.arraycopy(TestData.text(4 << 20, 2), 0, pool, 0, 4 << 20);
    System.arraycopy(TestData.random(4 << 20, 3), 0, pool, 4 << 20, 4 << 20);
    int[] sizes = {4096, 16384, 65536};
    StringBuilder table = new StringBuilder();
    table.append(
        String.format(
            Locale.ROOT,
            "%-7s %16s %16s %14s %14s %12s%n",
            "chunk",
            "4K rand+fsync",
            "4K rand,fsync/16",
            "128K seq MB/s",
            "4K rand read",
            "disk/written"));
    try (Snapshot base = Bases.open(basePath)) {
      for (int round = 0; round < 2; round++) { // round 0 warms up the JIT
        for (int cs : sizes) {
          String row = measure(base, basePath, cs, pool, round);
          if (round == 1) {
            table.append(row);
          }
        }
      }
    }
    System.out.println(
        "\nOverlay chunk size benchmark (single thread, "
            + BASE_SIZE / (1 << 20)
            + " MiB base, 64 KiB base blocks)\n"
            + table);
  }

  private String measure(Snapshot base, Path basePath, int chunkSize, byte[] pool, int round)
      throws IOException {
    Random r = new Random(chunkSize);
    long pages = BASE_SIZE / 4096;
    double randFsyncEnd;
    double randFsync16;
    double seqMbs;
    double readIops;
    double amplification;
    Path dir = tmp.resolve("o-" + chunkSize + "-" + round);
    try (OverlayImage img = OverlayImage.create(dir, basePath, base, chunkSize)) {
      ByteBuffer page = ByteBuffer.allocateDirect(4096);
      long t0 = System.nanoTime();
      for (int i = 0; i < RANDOM_WRITES; i++) {
        fill(page, pool, r);
        img.write((long) r.nextInt((int) pages) * 4096, page);
      }
      img.fsync();
      randFsyncEnd = RANDOM_WRITES / seconds(t0);
      amplification = (Long) img.stats().get("overlayBytes") / (RANDOM_WRITES * 4096.0);

      t0 = System.nanoTime();
      for (int i = 0; i < RANDOM_WRITES / 4; i++) {
        fill(page, pool, r);
        img.write((long) r.nextInt((int) pages) * 4096, page);
        if (i % 16 == 15) {
          img.fsync();
        }
      }
      img.fsync();
      randFsync16 = (RANDOM_WRITES / 4) / seconds(t0);

      ByteBuffer big = ByteBuffer.allocateDirect(128 << 10);
      t0 = System.nanoTime();
      for (long off = 0; off < SEQUENTIAL_BYTES; off += big.capacity()) {
        big.clear();
        big.put(pool, (int) (off % (pool.length - big.capacity())), big.capacity()).flip();
        img.write(32L * (1 << 20) + off, big);
      }
      img.fsync();
      seqMbs = SEQUENTIAL_BYTES / (double) (1 << 20) / seconds(t0);

      t0 = System.nanoTime();
      for (int i = 0; i < RANDOM_WRITES; i++) {
        page.clear();
        img.read((long) r.nextInt((int) pages) * 4096, page);
      }
      readIops = RANDOM_WRITES / seconds(t0);
    }
    return String.format(
        Locale.ROOT,
        "%-7s %12.0f IOPS %12.0f IOPS %14.0f %9.0f IOPS %12.2f%n",
        chunkSize / 1024 + "K",
        randFsyncEnd,
        randFsync16,
        seqMbs,
        readIops,
        amplification);
  }

  private static void fill(ByteBuffer page, byte[] pool, Random r) {
    page.clear();
    page.put(pool, r.nextInt(pool.length / 4096) * 4096, 4096).flip();
  }

  private static double seconds(long t0) {
    return (System.nanoTime() - t0) / 1e9;
  }
}
