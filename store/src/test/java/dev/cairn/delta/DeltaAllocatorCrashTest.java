package dev.cairn.delta;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The spill file's last record torn at every byte and garbled at every byte: reopening (checking
 * every record) keeps every earlier record readable, drops the damaged one, truncates the file
 * there, and appends the next record where it was. Plain and sealed (AES-256-GCM) alike.
 */
@ParameterizedClass(name = "sealed={0}")
@ValueSource(booleans = {false, true})
class DeltaAllocatorCrashTest {
  private static final int CHUNK = 512;
  private static final int GROUP = 4;
  private static final int EARLIER = 3 * GROUP;
  private static final int LAST = 1;

  @Parameter boolean sealed;

  @TempDir Path tmp;

  private ChunkCompressor compressor;
  private byte[] file;
  private long[] locs;
  private int lastStart;

  private void build(boolean deflate) throws IOException {
    compressor = deflate ? DeflateCompressor.INSTANCE : ChunkCompressor.NONE;
    Path p = tmp.resolve("source");
    locs = new long[EARLIER + LAST];
    try (DeltaAllocator a =
        DeltaAllocator.create(p, CHUNK, GROUP, 0, compressor, Ciphers.of(sealed))) {
      for (int i = 0; i < EARLIER; i++) {
        locs[i] = a.write(i, Chunks.wrap(Chunks.make(CHUNK, i)));
      }
      lastStart = (int) a.seal();
      for (int i = EARLIER; i < EARLIER + LAST; i++) {
        locs[i] = a.write(i, Chunks.wrap(Chunks.make(CHUNK, i)));
      }
      a.flush();
    }
    file = Files.readAllBytes(p);
  }

  /**
   * Checks one damaged copy; with {@code append} it also checks that appending after the repair
   * works (that part costs two fsyncs, and one position per record layout suffices).
   */
  private void check(byte[] damaged, String what, boolean append) throws IOException {
    Path p = tmp.resolve("damaged");
    Files.write(p, damaged);
    try (DeltaAllocator a =
        DeltaAllocator.open(
            p, compressor, DeltaAllocator.HEADER_LENGTH, false, Ciphers.of(sealed))) {
      assertEquals(lastStart, a.end(), what);
      assertEquals(3, a.recovery().recordsScanned(), what);
      for (int i = 0; i < EARLIER; i++) {
        assertArrayEquals(Chunks.make(CHUNK, i), Chunks.read(a, locs[i], i), what + ", chunk " + i);
      }
      if (!append) {
        return;
      }
      long loc = a.write(99, Chunks.wrap(Chunks.make(CHUNK, 99)));
      assertEquals(lastStart, DeltaAllocator.recordOffset(loc), what);
      a.flush();
    }
    try (DeltaAllocator a =
        DeltaAllocator.open(
            p, compressor, DeltaAllocator.HEADER_LENGTH, false, Ciphers.of(sealed))) {
      assertEquals(4, a.recovery().recordsScanned(), what + ": appended after the repair");
      assertArrayEquals(
          Chunks.make(CHUNK, 99), Chunks.read(a, DeltaAllocator.location(lastStart, 0), 99), what);
    }
  }

  @ParameterizedTest
  @ValueSource(booleans = {false, true})
  void lastRecordTruncatedAtEveryByte(boolean deflate) throws IOException {
    build(deflate);
    for (int cut = lastStart; cut < file.length; cut++) {
      check(Arrays.copyOf(file, cut), "cut at " + cut, cut % 16 == 0);
    }
  }

  @ParameterizedTest
  @ValueSource(booleans = {false, true})
  void lastRecordGarbledAtEveryByte(boolean deflate) throws IOException {
    build(deflate);
    for (int pos = lastStart; pos < file.length; pos++) {
      byte[] b = file.clone();
      b[pos] ^= (byte) 0xA5;
      check(b, "garbled byte " + pos, pos % 16 == 0);
    }
  }

  @ParameterizedTest
  @ValueSource(booleans = {false, true})
  void zerosAfterTheLastRecordAreDropped(boolean deflate) throws IOException {
    build(deflate);
    Path p = tmp.resolve("zeros");
    Files.write(p, Arrays.copyOf(file, file.length + 8192));
    try (DeltaAllocator a =
        DeltaAllocator.open(
            p, compressor, DeltaAllocator.HEADER_LENGTH, false, Ciphers.of(sealed))) {
      assertEquals(file.length, a.end());
      for (int i = 0; i < locs.length; i++) {
        assertArrayEquals(Chunks.make(CHUNK, i), Chunks.read(a, locs[i], i));
      }
    }
    assertEquals(file.length, Files.size(p));
  }
}
