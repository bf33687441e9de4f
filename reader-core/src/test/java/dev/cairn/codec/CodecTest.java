package dev.cairn.codec;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cairn.format.CodecType;
import dev.cairn.testing.TestData;
import dev.cairn.testing.TestData.Kind;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/** Each codec on its own: round trips through heap and direct buffers, and hostile input. */
class CodecTest {

  static Stream<Arguments> codecsAndKinds() {
    List<Arguments> out = new ArrayList<>();
    int[][] levels = {{0}, {0, 1, 9, 17}, {-7, -1, 1, 3, 12}};
    for (CodecType c : CodecType.values()) {
      for (int level : levels[c.id()]) {
        for (Kind k : Kind.values()) {
          out.add(Arguments.of(c, level, k));
        }
      }
    }
    return out.stream();
  }

  @ParameterizedTest(name = "{0}/{1} {2}")
  @MethodSource("codecsAndKinds")
  void roundTripsThroughHeapAndDirectBuffers(CodecType type, int level, Kind kind) {
    Codec c = Codec.of(type);
    assertEquals(type, c.type());
    byte[] data = TestData.generate(kind, 65536, 4096, level + 100);
    for (boolean direct : new boolean[] {true, false}) {
      ByteBuffer src = alloc(direct, data.length).put(data).flip();
      ByteBuffer dst = alloc(direct, c.maxCompressedLength(data.length) + 3).position(3);
      try (Compressor comp = c.newCompressor(level, null);
          Decompressor dec = c.newDecompressor(null)) {
        int n = comp.compress(src, dst);
        assertTrue(n > 0 && n <= c.maxCompressedLength(data.length));
        assertEquals(3 + n, dst.position());
        assertEquals(0, src.position(), "source not consumed");
        ByteBuffer stored = dst.flip().position(3);
        ByteBuffer out = alloc(direct, data.length + 10).position(5).limit(5 + data.length);
        dec.decompress(stored, out);
        assertEquals(5 + data.length, out.position());
        byte[] got = new byte[data.length];
        out.position(5);
        out.get(got);
        assertArrayEquals(data, got);
      } catch (MalformedBlockException e) {
        throw new AssertionError(e);
      }
    }
  }

  @ParameterizedTest
  @EnumSource(CodecType.class)
  void levelsOutsideTheRangeAreRejected(CodecType type) {
    Codec c = Codec.of(type);
    assertThrows(IllegalArgumentException.class, () -> c.newCompressor(type.maxLevel() + 1, null));
    assertThrows(IllegalArgumentException.class, () -> c.newCompressor(type.minLevel() - 1, null));
    c.newCompressor(type.defaultLevel(), null).close();
  }

  @ParameterizedTest
  @EnumSource(CodecType.class)
  void garbageAndWrongLengthsAreMalformedNeverACrash(CodecType type) {
    Codec c = Codec.of(type);
    Random r = new Random(type.id());
    byte[] data = TestData.text(4096, 3);
    byte[] good;
    try (Compressor comp = c.newCompressor(type.defaultLevel(), null)) {
      ByteBuffer dst = ByteBuffer.allocateDirect(c.maxCompressedLength(4096));
      comp.compress(ByteBuffer.allocateDirect(4096).put(data).flip(), dst);
      good = new byte[dst.flip().remaining()];
      dst.get(good);
    }
    try (Decompressor dec = c.newDecompressor(null)) {
      for (int i = 0; i < 500; i++) {
        byte[] in;
        int want = 4096;
        switch (i % 5) {
          case 0 -> {
            in = new byte[1 + r.nextInt(5000)];
            r.nextBytes(in);
          }
          case 1 -> { // one flipped byte in a real block
            in = good.clone();
            in[r.nextInt(in.length)] ^= (byte) (1 + r.nextInt(255));
          }
          case 2 -> in = java.util.Arrays.copyOf(good, r.nextInt(good.length)); // cut short
          case 3 -> { // a real block into the wrong size
            in = good;
            want = r.nextBoolean() ? 4095 : 4097 + r.nextInt(5000);
          }
          default -> in = new byte[0];
        }
        boolean direct = i % 2 == 0;
        ByteBuffer src = alloc(direct, in.length).put(in).flip();
        ByteBuffer guard = alloc(direct, want + 64);
        ByteBuffer dst = guard.duplicate().position(32).limit(32 + want);
        try {
          dec.decompress(src, dst);
          assertEquals(32 + want, dst.position(), "a success fills the destination");
        } catch (MalformedBlockException expected) {
          // fine
        }
        for (int g = 0; g < 32; g++) {
          assertEquals(0, guard.get(g), "wrote before the destination");
          assertEquals(0, guard.get(32 + want + g), "wrote past the destination");
        }
      }
      // Decompressor still works after all that.
      ByteBuffer out = ByteBuffer.allocateDirect(4096);
      try {
        dec.decompress(ByteBuffer.allocateDirect(good.length).put(good).flip(), out);
      } catch (MalformedBlockException e) {
        throw new AssertionError(e);
      }
      byte[] got = new byte[4096];
      out.flip().get(got);
      assertArrayEquals(data, got);
    }
  }

  @ParameterizedTest
  @EnumSource(
      value = CodecType.class,
      names = {"LZ4", "ZSTD"})
  void aBlockOfTheWrongLengthIsNamedWithBothLengths(CodecType type) {
    Codec c = Codec.of(type);
    ByteBuffer stored = ByteBuffer.allocateDirect(c.maxCompressedLength(4096));
    try (Compressor comp = c.newCompressor(type.defaultLevel(), null)) {
      comp.compress(ByteBuffer.allocateDirect(4096).put(TestData.text(4096, 5)).flip(), stored);
    }
    stored.flip();
    ByteBuffer dst = ByteBuffer.allocateDirect(5000).position(7).limit(7 + 4097);
    try (Decompressor dec = c.newDecompressor(null)) {
      MalformedBlockException e =
          assertThrows(MalformedBlockException.class, () -> dec.decompress(stored, dst));
      String name = type.name().toLowerCase(java.util.Locale.ROOT);
      assertEquals(name + ": decompressed to 4096 bytes, expected 4097", e.getMessage());
      assertEquals(7, dst.position(), "a refused block leaves the destination where it was");
    }
  }

  @Test
  void noneCodecRefusesToOverflow() {
    try (Compressor c = Codec.of(CodecType.NONE).newCompressor(0, null)) {
      ByteBuffer dst = ByteBuffer.allocate(10);
      assertEquals(-1, c.compress(ByteBuffer.allocate(11), dst));
      assertEquals(0, dst.position());
    }
  }

  @Test
  void zstdWithADictionaryRoundTripsAndNeedsIt() throws MalformedBlockException {
    byte[] dict = TestData.text(2000, 9);
    byte[] data = TestData.text(4096, 10);
    Codec c = Codec.of(CodecType.ZSTD);
    ByteBuffer stored = ByteBuffer.allocateDirect(c.maxCompressedLength(4096));
    try (Compressor comp = c.newCompressor(3, dict)) {
      comp.compress(ByteBuffer.allocateDirect(4096).put(data).flip(), stored);
    }
    stored.flip();
    ByteBuffer out = ByteBuffer.allocateDirect(4096);
    try (Decompressor dec = c.newDecompressor(dict)) {
      dec.decompress(stored.duplicate(), out);
    }
    byte[] got = new byte[4096];
    out.flip().get(got);
    assertArrayEquals(data, got);
  }

  private static ByteBuffer alloc(boolean direct, int n) {
    return direct ? ByteBuffer.allocateDirect(n) : ByteBuffer.allocate(n);
  }
}
