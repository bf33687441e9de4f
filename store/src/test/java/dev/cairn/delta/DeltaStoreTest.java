package dev.cairn.delta;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.LongStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Runs plain and with every record sealed (AES-256-GCM): the guarantees are the same. */
@ParameterizedClass(name = "sealed={0}")
@ValueSource(booleans = {false, true})
class DeltaStoreTest {
  private static final int CHUNK = 1024;

  @Parameter boolean sealed;

  @TempDir Path dir;

  /** What the store should hold. */
  private static final class Model {
    final Map<Long, byte[]> chunks = new HashMap<>();
    long size;

    Model copy() {
      Model m = new Model();
      chunks.forEach((k, v) -> m.chunks.put(k, v.clone()));
      m.size = size;
      return m;
    }

    void resize(long newSize) {
      if (newSize < size) {
        long limit = (newSize + CHUNK - 1) / CHUNK;
        chunks.keySet().removeIf(k -> k >= limit);
        int in = (int) (newSize % CHUNK);
        byte[] straddler = chunks.get(newSize / CHUNK);
        if (in != 0 && straddler != null) {
          Arrays.fill(straddler, in, CHUNK, (byte) 0);
        }
      }
      size = newSize;
    }

    void check(DeltaStore s, String where) throws IOException {
      assertEquals(size, s.logicalSize(), where + ": size");
      long limit = (size + CHUNK - 1) / CHUNK;
      for (long c = 0; c < limit + 3; c++) {
        ByteBuffer b = ByteBuffer.allocate(CHUNK);
        byte[] want = c < limit ? chunks.get(c) : null;
        assertEquals(want != null, s.read(c, 0, b), where + ": chunk " + c + " present");
        assertEquals(want != null, s.contains(c), where + ": contains " + c);
        if (want != null) {
          assertArrayEquals(want, b.array(), where + ": chunk " + c);
        }
      }
    }
  }

  /** Drops a store as a crash would: no seal, no sync, just the descriptors closed. */
  private static void crash(DeltaStore s) throws IOException {
    s.allocator().close();
    s.manifest().close();
  }

  private DeltaStore create(long size) throws IOException {
    return DeltaStore.create(dir, CHUNK, 8, size, DeflateCompressor.INSTANCE, Ciphers.of(sealed));
  }

  private DeltaStore open() throws IOException {
    return DeltaStore.open(dir, DeflateCompressor.INSTANCE, Ciphers.of(sealed));
  }

  static LongStream seeds() {
    return LongStream.range(0, 24);
  }

  @ParameterizedTest
  @MethodSource("seeds")
  void randomOperationsWithSyncsReopensCrashesAndCompactions(long seed) throws IOException {
    Random r = new Random(seed);
    Model model = new Model();
    model.size = 40L * CHUNK + 123;
    Model durable = model.copy();
    DeltaStore s = create(model.size);
    try {
      for (int step = 0; step < 400; step++) {
        long limit = (model.size + CHUNK - 1) / CHUNK;
        int op = limit == 0 ? 62 : r.nextInt(100);
        if (op < 55) {
          long c = r.nextInt((int) limit);
          byte[] data = Chunks.make(CHUNK, r.nextLong());
          if (c == model.size / CHUNK && model.size % CHUNK != 0) {
            Arrays.fill(data, (int) (model.size % CHUNK), CHUNK, (byte) 0); // keep the invariant
          }
          s.write(c, ByteBuffer.wrap(data));
          model.chunks.put(c, data);
        } else if (op < 60) {
          long c = r.nextInt((int) limit);
          s.remove(c);
          model.chunks.remove(c);
        } else if (op < 66) {
          long newSize =
              Math.max(limit == 0 ? 1 : 0, model.size + r.nextInt(20 * CHUNK) - 10 * CHUNK);
          s.setLogicalSize(newSize);
          model.resize(newSize);
        } else if (op < 80) {
          s.fsync();
          durable = model.copy();
        } else if (op < 85) {
          s.close();
          durable = model.copy();
          s = open();
        } else if (op < 92) {
          crash(s);
          model = durable.copy();
          s = open();
        } else if (op < 95) {
          s.compact();
          durable = model.copy();
        } else {
          model.check(s, "seed " + seed + " step " + step);
        }
      }
      model.check(s, "seed " + seed + " end");
    } finally {
      s.close();
    }
    try (DeltaStore again = open()) {
      model.check(again, "seed " + seed + " reopened");
    }
  }

  @Test
  void compactionReclaimsOverwrittenChunks() throws IOException {
    Model model = new Model();
    model.size = 100L * CHUNK;
    try (DeltaStore s = create(model.size)) {
      Random r = new Random(1);
      for (int round = 0; round < 20; round++) {
        for (long c = 0; c < 100; c++) {
          byte[] data = Chunks.make(CHUNK, r.nextLong());
          s.write(c, ByteBuffer.wrap(data));
          model.chunks.put(c, data);
        }
        s.fsync();
      }
      long before = s.diskBytes();
      assertTrue(s.garbageRatio() > 0.9, "garbage " + s.garbageRatio());
      assertTrue(s.compact());
      assertTrue(s.diskBytes() < before / 10, s.diskBytes() + " vs " + before);
      assertEquals(0, s.garbageRatio(), 0.001);
      assertEquals(1L, s.stats().get("spillGeneration"));
      model.check(s, "after compaction");
    }
    assertEquals(List.of("lock?", "manifest", "manifest.log.1", "spill.1"), namesWithLock());
    try (DeltaStore s = open()) {
      model.check(s, "reopened");
    }
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "store.spill-written",
        "manifest.temp-written",
        "manifest.log-created",
        "manifest.renamed",
        "manifest.old-log-deleted",
        "store.switched",
        "store.old-spill-deleted"
      })
  void compactionStoppedAtEveryStepReopensConsistently(String point) throws IOException {
    Model model = new Model();
    model.size = 64L * CHUNK;
    DeltaStore s = create(model.size);
    Random r = new Random(point.hashCode());
    for (int i = 0; i < 500; i++) {
      long c = r.nextInt(64);
      byte[] data = Chunks.make(CHUNK, r.nextLong());
      s.write(c, ByteBuffer.wrap(data));
      model.chunks.put(c, data);
      if (i % 50 == 0) {
        s.fsync();
      }
    }
    // Not fsynced, but compaction syncs before anything else, so they are part of either state.
    s.write(63, ByteBuffer.wrap(Chunks.make(CHUNK, 63)));
    model.chunks.put(63L, Chunks.make(CHUNK, 63));
    s.failpoint(SimulatedCrash.at(point));
    assertThrows(SimulatedCrash.class, s::compact);
    crash(s);
    boolean switched =
        List.of(
                "manifest.renamed",
                "manifest.old-log-deleted",
                "store.switched",
                "store.old-spill-deleted")
            .contains(point);
    try (DeltaStore again = open()) {
      model.check(again, "after a crash at " + point);
      assertEquals(switched ? 1L : 0L, again.stats().get("spillGeneration"));
      byte[] data = Chunks.make(CHUNK, 1000);
      again.write(5, ByteBuffer.wrap(data));
      model.chunks.put(5L, data);
      assertTrue(again.compact());
    }
    long gen = switched ? 2 : 1;
    assertEquals(
        List.of("lock?", "manifest", "manifest.log." + (switched ? 2 : 1), "spill." + gen),
        namesWithLock(),
        "no leftovers");
    try (DeltaStore again = open()) {
      model.check(again, "after carrying on");
    }
  }

  @Test
  void aViewIsFrozenAndHoldsOffCompaction() throws IOException {
    try (DeltaStore s = create(16L * CHUNK)) {
      s.write(1, ByteBuffer.wrap(Chunks.make(CHUNK, 1)));
      s.write(2, ByteBuffer.wrap(Chunks.make(CHUNK, 2)));
      try (StoreView v = s.view()) {
        s.write(1, ByteBuffer.wrap(Chunks.make(CHUNK, 11)));
        s.write(3, ByteBuffer.wrap(Chunks.make(CHUNK, 3)));
        s.setLogicalSize(2L * CHUNK);
        s.fsync();
        assertFalse(s.compact(), "compaction waits for the view");
        assertEquals(16L * CHUNK, v.logicalSize());
        assertArrayEquals(new long[] {1, 2}, v.sortedChunks());
        ByteBuffer b = ByteBuffer.allocate(CHUNK);
        assertTrue(v.read(1, 0, b));
        assertArrayEquals(Chunks.make(CHUNK, 1), b.array());
        assertFalse(v.contains(3));
        assertTrue(v.contains(2));
        assertFalse(s.contains(2));
      }
      assertTrue(s.compact());
    }
  }

  @Test
  void shrinkingThenGrowingRevealsZeros() throws IOException {
    try (DeltaStore s = create(10L * CHUNK)) {
      byte[] ones = new byte[CHUNK];
      Arrays.fill(ones, (byte) 1);
      for (long c = 0; c < 10; c++) {
        s.write(c, ByteBuffer.wrap(ones));
      }
      s.setLogicalSize(4L * CHUNK + 100);
      s.setLogicalSize(10L * CHUNK);
      ByteBuffer b = ByteBuffer.allocate(CHUNK);
      assertTrue(s.read(4, 0, b));
      for (int i = 0; i < CHUNK; i++) {
        assertEquals(i < 100 ? 1 : 0, b.get(i), "byte " + i);
      }
      for (long c = 5; c < 10; c++) {
        assertFalse(s.contains(c));
      }
    }
  }

  @Test
  void openFinishesAShrinkThatACrashInterrupted() throws IOException {
    DeltaStore s = create(10L * CHUNK);
    byte[] ones = new byte[CHUNK];
    Arrays.fill(ones, (byte) 1);
    for (long c = 0; c < 10; c++) {
      s.write(c, ByteBuffer.wrap(ones));
    }
    s.fsync();
    // The size entry of a shrink reached the log, the removals and zeroing did not.
    s.manifest().setAttribute(StoreFiles.ATTR_LOGICAL_SIZE, 4L * CHUNK + 100);
    s.manifest().sync();
    crash(s);
    try (DeltaStore again = open()) {
      again.setLogicalSize(10L * CHUNK);
      ByteBuffer b = ByteBuffer.allocate(CHUNK);
      assertTrue(again.read(4, 0, b));
      assertEquals(1, b.get(99));
      assertEquals(0, b.get(100));
      assertFalse(again.contains(7));
    }
  }

  @Test
  void readOnlyOpenReadsAndWritesNothing() throws IOException {
    try (DeltaStore s = create(8L * CHUNK)) {
      s.write(3, ByteBuffer.wrap(Chunks.make(CHUNK, 3)));
    }
    Map<String, byte[]> before = snapshotFiles();
    try (DeltaStore s =
        DeltaStore.openReadOnly(dir, DeflateCompressor.INSTANCE, Ciphers.of(sealed))) {
      ByteBuffer b = ByteBuffer.allocate(CHUNK);
      assertTrue(s.read(3, 0, b));
      assertArrayEquals(Chunks.make(CHUNK, 3), b.array());
      assertThrows(IllegalStateException.class, () -> s.write(1, ByteBuffer.allocate(CHUNK)));
      try (StoreView v = s.view()) {
        assertTrue(v.contains(3));
      }
    }
    Map<String, byte[]> after = snapshotFiles();
    assertEquals(before.keySet(), after.keySet());
    before.forEach((k, v) -> assertArrayEquals(v, after.get(k), k));
  }

  @Test
  void concurrentWritersReadersAndSyncs() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try (DeltaStore s = create(4096L * CHUNK)) {
      List<Future<?>> fs = new ArrayList<>();
      for (int t = 0; t < 8; t++) {
        int thread = t;
        fs.add(
            pool.submit(
                () -> {
                  Random r = new Random(thread);
                  for (int i = 0; i < 3000; i++) {
                    long c = thread * 512L + r.nextInt(512);
                    s.write(c, ByteBuffer.wrap(Chunks.make(CHUNK, c)));
                    ByteBuffer b = ByteBuffer.allocate(CHUNK);
                    long other = thread * 512L + r.nextInt(512);
                    if (s.read(other, 0, b)) {
                      assertArrayEquals(Chunks.make(CHUNK, other), b.array());
                    }
                    if (i % 500 == 0) {
                      s.fsync();
                    }
                  }
                  return null;
                }));
      }
      for (Future<?> f : fs) {
        f.get();
      }
    } finally {
      pool.shutdown();
    }
    try (DeltaStore s = open()) {
      for (long c = 0; c < 4096; c++) {
        ByteBuffer b = ByteBuffer.allocate(CHUNK);
        if (s.read(c, 0, b)) {
          assertArrayEquals(Chunks.make(CHUNK, c), b.array(), "chunk " + c);
        }
      }
      assertTrue(s.stats().get("storedChunks") instanceof Integer n && n > 3000);
    }
  }

  private List<String> namesWithLock() throws IOException {
    try (Stream<Path> st = Files.list(dir)) {
      List<String> names =
          new ArrayList<>(st.map(p -> p.getFileName().toString()).sorted().toList());
      names.add(0, "lock?");
      return names;
    }
  }

  private Map<String, byte[]> snapshotFiles() throws IOException {
    Map<String, byte[]> m = new HashMap<>();
    try (Stream<Path> st = Files.list(dir)) {
      for (Path p : st.toList()) {
        m.put(p.getFileName().toString(), Files.readAllBytes(p));
      }
    }
    return m;
  }
}
