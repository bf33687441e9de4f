package dev.cairn.read;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cairn.error.CorruptSnapshotException;
import dev.cairn.format.BlockEntry;
import dev.cairn.format.CodecType;
import dev.cairn.source.FileByteSource;
import dev.cairn.testing.Snapshots;
import dev.cairn.testing.TestData;
import dev.cairn.testing.TestData.Kind;
import dev.cairn.write.Pack;
import dev.cairn.write.WriterOptions;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Many threads reading one open snapshot at once, through a block cache far smaller than the data,
 * so blocks are evicted and reloaded while other threads copy out of them.
 */
@Timeout(300) // a hang guard, not a performance assertion
class ConcurrencyTest {
  static final int THREADS = 8;

  @ParameterizedTest
  @EnumSource(
      value = CodecType.class,
      names = {"LZ4", "ZSTD", "NONE"})
  void eightThreadsReadRandomRangesWithASmallCache(CodecType codec, @TempDir Path dir)
      throws Exception {
    int bs = 1 << 14;
    byte[] primary = TestData.generate(Kind.MIXED, 150 * bs + 999, bs, 42);
    byte[] secondary = TestData.generate(Kind.TEXT, 20 * bs + 1, bs, 43);
    Path p = dir.resolve("disk.img");
    Path s = dir.resolve("notes.txt");
    Files.write(p, primary);
    Files.write(s, secondary);
    Path out = dir.resolve("snap.cairn");
    WriterOptions opts =
        WriterOptions.defaults()
            .withCodec(codec, codec.defaultLevel())
            .withBlockSizeLog2(14)
            .withEntriesPerPage(16);
    Pack.run(
        List.of(new Pack.Input(p, "disk.img"), new Pack.Input(s, "notes.txt")), out, opts, d -> {});

    // Room for about four decompressed blocks.
    try (Snapshot snap = Snapshots.open(FileByteSource.open(out), 4L * (bs + 96))) {
      AtomicLong bytes = new AtomicLong();
      runConcurrently(
          t ->
              () -> {
                Random r = new Random(1000 + t);
                for (int i = 0; i < 400; i++) {
                  int stream = r.nextInt(5) == 0 ? 1 : 0;
                  byte[] want = stream == 0 ? primary : secondary;
                  int off = r.nextInt(want.length);
                  int len = r.nextInt(i % 10 == 0 ? 4 * bs : bs / 2) + 1;
                  if (i % 3 == 0) { // whole aligned block: the direct path
                    off = off / bs * bs;
                    len = bs;
                  }
                  ByteBuffer dst =
                      (i + t) % 2 == 0 ? ByteBuffer.allocateDirect(len) : ByteBuffer.allocate(len);
                  int n = snap.stream(stream).read(off, dst);
                  int expect = Math.min(len, want.length - off);
                  assertEquals(expect, n);
                  byte[] got = new byte[n];
                  dst.flip().get(got);
                  assertArrayEquals(Arrays.copyOfRange(want, off, off + n), got, off + "+" + len);
                  bytes.addAndGet(n);
                }
                return null;
              });
      assertTrue(snap.blockCache().weightedSize() <= 4L * (bs + 96) + bs + 96);
      assertEquals(bytes.get(), snap.stats().snapshot().bytesRead());
      assertEquals(THREADS * 400L, snap.stats().snapshot().reads());
    }
  }

  @Test
  void eightThreadsOnTheSameFewBlocksWithAOneBlockCache() throws Exception {
    int bs = 1 << 16;
    byte[] data = TestData.generate(Kind.TEXT, 3 * bs, bs, 7);
    Snapshots.Written w =
        Snapshots.write(
            WriterOptions.defaults().withCodec(CodecType.ZSTD, 3), List.of("hot.bin"), data);
    try (Snapshot snap = Snapshots.open(w.file(), "mem:hot")) {
      StreamReader s = snap.stream(0);
      runConcurrently(
          t ->
              () -> {
                Random r = new Random(t);
                for (int i = 0; i < 300; i++) {
                  Snapshots.checkRead(
                      s, data, r.nextInt(data.length), 1 + r.nextInt(200), i % 2 == 0, 0);
                }
                return null;
              });
    }
    // A cache too small for even one block still serves correct bytes.
    try (Snapshot snap = Snapshots.open(w.source("mem:tiny-cache"), 1)) {
      StreamReader s = snap.stream(0);
      runConcurrently(
          t ->
              () -> {
                Random r = new Random(t + 50);
                for (int i = 0; i < 100; i++) {
                  Snapshots.checkRead(
                      s, data, r.nextInt(data.length), 1 + r.nextInt(200), false, 0);
                }
                return null;
              });
    }
  }

  @Test
  void aCorruptBlockFailsEveryThreadThatTouchesItAndNoOtherRead() throws Exception {
    int bs = 4096;
    byte[] data = TestData.generate(Kind.TEXT, 64 * bs, bs, 9);
    Snapshots.Written w =
        Snapshots.write(
            WriterOptions.defaults().withBlockSizeLog2(12).withEntriesPerPage(8),
            List.of("x"),
            data);
    long bad = 21;
    BlockEntry e = w.page(0, (int) (bad / 8)).entry((int) (bad % 8));
    byte[] f = w.file().clone();
    f[(int) e.offset() + 3] ^= 1;
    try (Snapshot snap = Snapshots.open(f, "mem:one-bad-block")) {
      StreamReader s = snap.stream(0);
      AtomicLong failures = new AtomicLong();
      runConcurrently(
          t ->
              () -> {
                Random r = new Random(t + 100);
                for (int i = 0; i < 300; i++) {
                  int off = r.nextInt(data.length);
                  int len = 1 + r.nextInt(3 * bs);
                  if (i % 10 == 0) {
                    off = (int) bad * bs + r.nextInt(bs);
                  }
                  boolean touches = off < (bad + 1) * bs && off + len > bad * bs;
                  try {
                    Snapshots.checkRead(s, data, off, len, i % 2 == 0, 0);
                    assertTrue(!touches, "read over the bad block succeeded");
                  } catch (CorruptSnapshotException ex) {
                    assertTrue(touches, "read " + off + "+" + len + " failed: " + ex.getMessage());
                    assertEquals(bad, ex.block());
                    assertEquals("x", ex.stream());
                    failures.incrementAndGet();
                  }
                }
                return null;
              });
      assertTrue(failures.get() >= THREADS * 30, "failures " + failures.get());
    }
  }

  interface Task {
    Callable<Void> forThread(int t);
  }

  /** Starts all threads at once and rethrows the first failure. */
  static void runConcurrently(Task task) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(THREADS);
    CyclicBarrier start = new CyclicBarrier(THREADS);
    try {
      List<Future<Void>> futures = new ArrayList<>();
      for (int t = 0; t < THREADS; t++) {
        Callable<Void> body = task.forThread(t);
        futures.add(
            pool.submit(
                () -> {
                  start.await();
                  return body.call();
                }));
      }
      for (Future<Void> f : futures) {
        try {
          f.get();
        } catch (java.util.concurrent.ExecutionException ex) {
          if (ex.getCause() instanceof Error err) {
            throw err;
          }
          throw (Exception) ex.getCause();
        }
      }
    } finally {
      pool.shutdownNow();
    }
  }
}
