package dev.cairn.delta;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.LongStream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Fuzzes the spill record parser: a spill file of random records (random sizes, compressible or
 * not) is damaged at random and reopened checking every record. It must open without an exception
 * and keep exactly the records that lie wholly before the first damaged byte, each readable. Plain
 * and sealed (AES-256-GCM) alike.
 */
@ParameterizedClass(name = "sealed={0}")
@ValueSource(booleans = {false, true})
class DeltaAllocatorFuzzTest {
  @Parameter boolean sealed;

  @TempDir Path tmp;

  static LongStream seeds() {
    return LongStream.range(0, 60);
  }

  private record Written(long id, long location, long seed) {}

  @ParameterizedTest
  @MethodSource("seeds")
  void damagedSpillOpensToTheIntactPrefix(long seed) throws IOException {
    Random r = new Random(seed);
    int chunk = 512 << r.nextInt(3);
    int group = 1 + r.nextInt(8);
    ChunkCompressor c = r.nextBoolean() ? DeflateCompressor.INSTANCE : ChunkCompressor.NONE;
    Path p = tmp.resolve("spill");
    List<Written> written = new ArrayList<>();
    List<Long> recordEnds = new ArrayList<>();
    RecordCipher cipher = Ciphers.of(sealed);
    try (DeltaAllocator a = DeltaAllocator.create(p, chunk, group, 0, c, cipher)) {
      int n = 1 + r.nextInt(40);
      for (int i = 0; i < n; i++) {
        long contentSeed = r.nextLong();
        written.add(
            new Written(i, a.write(i, Chunks.wrap(Chunks.make(chunk, contentSeed))), contentSeed));
        if (r.nextInt(4) == 0) {
          a.seal();
        }
      }
      a.flush();
    }
    byte[] good = Files.readAllBytes(p);
    try (DeltaAllocator a = DeltaAllocator.open(p, c, 0, true, cipher)) {
      a.scan((offset, count, ids, data) -> recordEnds.add(offset));
    }
    recordEnds.add((long) good.length);
    recordEnds.remove(0);
    byte[] bad = mutate(good, r);
    Files.write(p, bad);
    int first = firstDifference(good, bad);
    long keptEnd = DeltaAllocator.HEADER_LENGTH;
    for (long e : recordEnds) {
      if (e <= first) {
        keptEnd = e;
      }
    }
    try (DeltaAllocator a = DeltaAllocator.open(p, c, 0, false, cipher)) {
      assertEquals(keptEnd, a.end(), "seed " + seed);
      for (Written w : written) {
        if (DeltaAllocator.recordOffset(w.location) < keptEnd) {
          assertArrayEquals(
              Chunks.make(chunk, w.seed), Chunks.read(a, w.location, w.id), "seed " + seed);
        }
      }
    }
  }

  private static byte[] mutate(byte[] good, Random r) {
    int header = DeltaAllocator.HEADER_LENGTH;
    int span = good.length - header;
    byte[] b;
    switch (r.nextInt(5)) {
      case 0 -> b = Arrays.copyOf(good, header + r.nextInt(span + 1));
      case 1 -> {
        b = good.clone();
        for (int i = 1 + r.nextInt(6); i > 0; i--) {
          b[header + r.nextInt(span)] ^= (byte) (1 + r.nextInt(255));
        }
      }
      case 2 -> {
        b = Arrays.copyOf(good, good.length + r.nextInt(3000));
        for (int i = good.length; i < b.length; i++) {
          b[i] = (byte) r.nextInt(256);
        }
      }
      case 3 -> b = Arrays.copyOf(good, good.length + r.nextInt(9000));
      default -> {
        b = Arrays.copyOf(good, header + r.nextInt(2 * span + 100));
        for (int i = header + r.nextInt(span + 1); i < b.length; i++) {
          b[i] = (byte) r.nextInt(256);
        }
      }
    }
    return b;
  }

  private static int firstDifference(byte[] a, byte[] b) {
    int n = Math.min(a.length, b.length);
    for (int i = 0; i < n; i++) {
      if (a[i] != b[i]) {
        return i;
      }
    }
    return n;
  }
}
