package dev.cairn.delta;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cairn.error.CorruptStoreException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class DeltaAllocatorTest {
  private static final int CHUNK = 4096;

  @TempDir Path dir;

  private static ChunkCompressor compressor(boolean deflate) {
    return deflate ? DeflateCompressor.INSTANCE : ChunkCompressor.NONE;
  }

  @ParameterizedTest
  @ValueSource(booleans = {false, true})
  void chunksReadBackFromTheOpenGroupSealedRecordsAndAfterReopen(boolean deflate)
      throws IOException {
    Path file = dir.resolve("spill.0");
    Map<Long, Long> where = new HashMap<>();
    try (DeltaAllocator a = DeltaAllocator.create(file, CHUNK, 16, 0, compressor(deflate))) {
      for (long id = 0; id < 100; id++) {
        long loc = a.write(id * 3, Chunks.wrap(Chunks.make(CHUNK, id)));
        where.put(id * 3, loc);
        // Straight from memory while the group is open, or from a sealed record.
        assertArrayEquals(Chunks.make(CHUNK, id), Chunks.read(a, loc, id * 3), "id " + id);
      }
      assertEquals(100 / 16 * 16, a.slots(), "full groups sealed themselves");
      assertEquals(100 % 16, a.openChunks());
      long end = a.flush();
      assertEquals(end, a.forcedEnd());
      assertEquals(0, a.openChunks());
      assertEquals(Files.size(file), end);
    }
    try (DeltaAllocator a =
        DeltaAllocator.open(file, compressor(deflate), DeltaAllocator.HEADER_LENGTH, false)) {
      assertEquals(7, a.recovery().recordsScanned());
      assertEquals(100, a.recovery().slotsScanned());
      assertEquals(0, a.recovery().bytesDiscarded());
      for (Map.Entry<Long, Long> e : where.entrySet()) {
        long id = e.getKey() / 3;
        assertArrayEquals(Chunks.make(CHUNK, id), Chunks.read(a, e.getValue(), e.getKey()));
      }
      // A partial read inside a chunk.
      ByteBuffer part = ByteBuffer.allocate(100);
      a.read(where.get(30L), 30, 1000, part);
      assertArrayEquals(Arrays.copyOfRange(Chunks.make(CHUNK, 10), 1000, 1100), part.array());
    }
  }

  @Test
  void rewritingAChunkInTheOpenGroupReusesItsSlot() throws IOException {
    try (DeltaAllocator a =
        DeltaAllocator.create(dir.resolve("s"), CHUNK, 4, 0, ChunkCompressor.NONE)) {
      long first = a.write(5, Chunks.wrap(Chunks.make(CHUNK, 1)));
      long again = a.write(5, Chunks.wrap(Chunks.make(CHUNK, 2)));
      assertEquals(first, again);
      assertEquals(1, a.openChunks());
      assertArrayEquals(Chunks.make(CHUNK, 2), Chunks.read(a, again, 5));
      a.flush();
      long after = a.write(5, Chunks.wrap(Chunks.make(CHUNK, 3)));
      assertNotEquals(first, after, "a sealed slot is never written again");
      assertArrayEquals(Chunks.make(CHUNK, 2), Chunks.read(a, first, 5));
      assertArrayEquals(Chunks.make(CHUNK, 3), Chunks.read(a, after, 5));
    }
  }

  @ParameterizedTest
  @ValueSource(booleans = {false, true})
  void runsReadBackLikeChunkByChunkWritesAroundAPartlyFilledGroup(boolean deflate)
      throws IOException {
    Path file = dir.resolve("spill.0");
    Map<Long, Long> where = new HashMap<>();
    Map<Long, byte[]> content = new HashMap<>();
    try (DeltaAllocator a = DeltaAllocator.create(file, CHUNK, 16, 0, compressor(deflate))) {
      for (long id = 1000; id < 1005; id++) { // leaves the open group partly filled
        content.put(id, Chunks.make(CHUNK, id));
        where.put(id, a.write(id, Chunks.wrap(content.get(id))));
      }
      int n = 100;
      ByteBuffer run = ByteBuffer.allocateDirect(n * CHUNK);
      for (long i = 0; i < n; i++) {
        content.put(i, Chunks.make(CHUNK, 7 * i)); // random and text-like groups mixed
        run.put(content.get(i));
      }
      run.flip().position(0);
      long[] locations = new long[n];
      a.writeRun(0, run, locations);
      assertEquals(0, run.position(), "the run's position is not moved");
      for (int i = 0; i < n; i++) {
        where.put((long) i, locations[i]);
        assertArrayEquals(content.get((long) i), Chunks.read(a, locations[i], i), "chunk " + i);
      }
      content.put(2000L, Chunks.make(CHUNK, 2000));
      where.put(2000L, a.write(2000, Chunks.wrap(content.get(2000L))));
      a.flush();
      assertEquals(Files.size(file), a.forcedEnd());
    }
    try (DeltaAllocator a =
        DeltaAllocator.open(file, compressor(deflate), DeltaAllocator.HEADER_LENGTH, false)) {
      assertEquals(106, a.recovery().slotsScanned());
      assertEquals(0, a.recovery().bytesDiscarded());
      for (Map.Entry<Long, Long> e : where.entrySet()) {
        assertArrayEquals(
            content.get(e.getKey()), Chunks.read(a, e.getValue(), e.getKey()), "" + e.getKey());
      }
    }
  }

  @Test
  void longIncompressibleRunsAreWrittenInBatchesAndReadBack() throws IOException {
    Path file = dir.resolve("spill.0");
    int n = 16 * 100;
    ByteBuffer run = ByteBuffer.allocateDirect(n * CHUNK);
    byte[] bytes = Chunks.make(n * CHUNK, 3); // random
    run.put(bytes).flip();
    long[] locations = new long[n];
    try (DeltaAllocator a = DeltaAllocator.create(file, CHUNK, 16, 0, DeflateCompressor.INSTANCE)) {
      a.writeRun(5000, run, locations);
      a.flush();
      assertEquals(
          DeltaAllocator.HEADER_LENGTH + 100L * (DeltaAllocator.RECORD_HEAD + 16 * 8 + 16 * CHUNK),
          Files.size(file),
          "100 raw records back to back");
    }
    try (DeltaAllocator a =
        DeltaAllocator.open(file, DeflateCompressor.INSTANCE, DeltaAllocator.HEADER_LENGTH, true)) {
      assertEquals(100, a.recovery().recordsScanned());
      assertEquals(0, a.recovery().bytesDiscarded());
      for (int i = 0; i < n; i += 7) {
        assertArrayEquals(
            Arrays.copyOfRange(bytes, i * CHUNK, (i + 1) * CHUNK),
            Chunks.read(a, locations[i], 5000 + i),
            "chunk " + i);
      }
    }
  }

  @Test
  void afterIncompressibleGroupsCompressionIsSkippedForAWhileThenTriedAgain() throws IOException {
    Path file = dir.resolve("spill.0");
    try (DeltaAllocator a = DeltaAllocator.create(file, CHUNK, 16, 0, DeflateCompressor.INSTANCE)) {
      long id = 0;
      for (int g = 0; g < 4; g++) { // random: four failed attempts in a row
        for (int k = 0; k < 16; k++, id++) {
          a.write(id, Chunks.wrap(Chunks.make(CHUNK, 3 * id)));
        }
      }
      long rawGroup = DeltaAllocator.RECORD_HEAD + 16 * 8 + 16 * CHUNK;
      long[] growth = new long[61];
      for (int g = 0; g < 61; g++) { // text-like: stored raw while skipping, then compressed
        long before = a.seal();
        for (int k = 0; k < 16; k++, id++) {
          a.write(id, Chunks.wrap(Chunks.make(CHUNK, 1 + 3 * id)));
        }
        growth[g] = a.seal() - before;
      }
      assertEquals(rawGroup, growth[0], "first group after the failures is stored without trying");
      assertEquals(rawGroup, growth[59]);
      assertTrue(growth[60] < rawGroup / 4, "compression is tried again: " + growth[60]);
    }
  }

  @Test
  void compressibleGroupsAreStoredCompressedAndRandomOnesRaw() throws IOException {
    Path text = dir.resolve("text");
    try (DeltaAllocator a = DeltaAllocator.create(text, CHUNK, 16, 0, DeflateCompressor.INSTANCE)) {
      for (long id = 0; id < 16; id++) {
        a.write(id, Chunks.wrap(Chunks.make(CHUNK, 1 + 3 * id))); // text-like
      }
      a.flush();
    }
    assertTrue(Files.size(text) < 16 * CHUNK / 10, "text compresses: " + Files.size(text));
    Path random = dir.resolve("random");
    try (DeltaAllocator a =
        DeltaAllocator.create(random, CHUNK, 16, 0, DeflateCompressor.INSTANCE)) {
      for (long id = 0; id < 16; id++) {
        a.write(id, Chunks.wrap(Chunks.make(CHUNK, 3 * id))); // random
      }
      a.flush();
    }
    assertEquals(
        DeltaAllocator.HEADER_LENGTH + DeltaAllocator.RECORD_HEAD + 16 * 8 + 16 * CHUNK,
        Files.size(random),
        "random data is stored raw, never expanded");
  }

  @Test
  void aLocationThatHoldsAnotherChunkIsReportedAsCorruption() throws IOException {
    try (DeltaAllocator a =
        DeltaAllocator.create(dir.resolve("s"), CHUNK, 4, 0, ChunkCompressor.NONE)) {
      long loc = a.write(1, Chunks.wrap(new byte[CHUNK]));
      assertThrows(CorruptStoreException.class, () -> Chunks.read(a, loc, 2));
      a.flush();
      assertThrows(CorruptStoreException.class, () -> Chunks.read(a, loc, 2));
      assertThrows(
          CorruptStoreException.class,
          () -> Chunks.read(a, DeltaAllocator.location(1 << 20, 0), 1));
    }
  }

  @Test
  void aDamagedReferencedRecordFailsItsReadOnly() throws IOException {
    Path file = dir.resolve("s");
    long[] locs = new long[12];
    long end;
    try (DeltaAllocator a = DeltaAllocator.create(file, CHUNK, 4, 0, DeflateCompressor.INSTANCE)) {
      for (int i = 0; i < 12; i++) {
        locs[i] = a.write(i, Chunks.wrap(Chunks.make(CHUNK, i)));
      }
      end = a.flush();
    }
    byte[] b = Files.readAllBytes(file);
    int second = (int) DeltaAllocator.recordOffset(locs[4]);
    b[second + 100] ^= 1;
    Files.write(file, b);
    // Opened past the damage (as the store does, from the durable end): only reads of the
    // damaged record fail, with a clear message; its neighbours stay readable.
    try (DeltaAllocator a = DeltaAllocator.open(file, DeflateCompressor.INSTANCE, end, false)) {
      CorruptStoreException e =
          assertThrows(CorruptStoreException.class, () -> Chunks.read(a, locs[5], 5));
      assertTrue(e.getMessage().contains("checksum mismatch"), e.getMessage());
      assertArrayEquals(Chunks.make(CHUNK, 3), Chunks.read(a, locs[3], 3));
      assertArrayEquals(Chunks.make(CHUNK, 8), Chunks.read(a, locs[8], 8));
    }
  }

  @Test
  void headerProblemsAreReported() throws IOException {
    Path file = dir.resolve("s");
    DeltaAllocator.create(file, CHUNK, 4, 3, DeflateCompressor.INSTANCE).close();
    assertTrue(
        assertThrows(
                CorruptStoreException.class,
                () -> DeltaAllocator.open(file, ChunkCompressor.NONE, 0, false))
            .getMessage()
            .contains("compressor 77"));
    assertTrue(
        assertThrows(
                CorruptStoreException.class,
                () -> DeltaAllocator.open(file, DeflateCompressor.INSTANCE, 1000, false))
            .getMessage()
            .contains("recorded as durable"));
    byte[] good = Files.readAllBytes(file);
    for (int pos = 0; pos < DeltaAllocator.HEADER_LENGTH; pos++) {
      byte[] b = good.clone();
      b[pos] ^= 4;
      Files.write(file, b);
      assertThrows(
          CorruptStoreException.class,
          () -> DeltaAllocator.open(file, DeflateCompressor.INSTANCE, 0, false).close(),
          "byte " + pos);
    }
    Files.write(file, Arrays.copyOf(good, 20));
    assertThrows(
        CorruptStoreException.class,
        () -> DeltaAllocator.open(file, DeflateCompressor.INSTANCE, 0, false));
  }

  @Test
  void readOnlyOpenLeavesATornTailInPlace() throws IOException {
    Path file = dir.resolve("s");
    long loc;
    try (DeltaAllocator a = DeltaAllocator.create(file, CHUNK, 4, 0, ChunkCompressor.NONE)) {
      loc = a.write(1, Chunks.wrap(Chunks.make(CHUNK, 1)));
      a.flush();
    }
    byte[] torn = Arrays.copyOf(Files.readAllBytes(file), (int) Files.size(file) + 77);
    Files.write(file, torn);
    try (DeltaAllocator a = DeltaAllocator.open(file, ChunkCompressor.NONE, 0, true)) {
      assertEquals(77, a.recovery().bytesDiscarded());
      assertArrayEquals(Chunks.make(CHUNK, 1), Chunks.read(a, loc, 1));
      assertThrows(IllegalStateException.class, () -> a.write(2, Chunks.wrap(new byte[CHUNK])));
    }
    assertArrayEquals(torn, Files.readAllBytes(file));
  }

  @Test
  void concurrentReadersSeeCompleteChunksWhileAWriterSeals() throws Exception {
    Path file = dir.resolve("s");
    ExecutorService pool = Executors.newFixedThreadPool(6);
    try (DeltaAllocator a = DeltaAllocator.create(file, 1024, 8, 0, DeflateCompressor.INSTANCE)) {
      long[] locs = new long[4000];
      for (int i = 0; i < 64; i++) {
        locs[i] = a.write(i, Chunks.wrap(Chunks.make(1024, i)));
      }
      List<Future<?>> fs = new ArrayList<>();
      fs.add(
          pool.submit(
              () -> {
                for (int i = 64; i < 4000; i++) {
                  long l = a.write(i, Chunks.wrap(Chunks.make(1024, i)));
                  synchronized (locs) {
                    locs[i] = l;
                  }
                  if (i % 100 == 0) {
                    a.flush();
                  }
                }
                return null;
              }));
      for (int t = 0; t < 5; t++) {
        int seed = t;
        fs.add(
            pool.submit(
                () -> {
                  java.util.Random r = new java.util.Random(seed);
                  for (int n = 0; n < 20_000; n++) {
                    int i = r.nextInt(64);
                    ByteBuffer dst = ByteBuffer.allocate(1024);
                    a.read(locs[i], i, 0, dst);
                    assertArrayEquals(Chunks.make(1024, i), dst.array());
                  }
                  return null;
                }));
      }
      for (Future<?> f : fs) {
        f.get();
      }
      a.flush();
      for (int i = 0; i < 4000; i++) {
        assertArrayEquals(Chunks.make(1024, i), Chunks.read(a, locs[i], i));
      }
    } finally {
      pool.shutdown();
    }
  }
}
