package dev.cairn.delta;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Random;
import org.junit.jupiter.api.Test;

class AdaptiveCompressionTest {
  private static final int GROUP = 64 << 10;

  /** Counts real compression attempts by zlib. */
  private static final class Counting implements ChunkCompressor {
    int calls;

    @Override
    public int id() {
      return DeflateCompressor.INSTANCE.id();
    }

    @Override
    public int maxCompressedLength(int length) {
      return DeflateCompressor.INSTANCE.maxCompressedLength(length);
    }

    @Override
    public int compress(ByteBuffer src, ByteBuffer dst) {
      calls++;
      return DeflateCompressor.INSTANCE.compress(src, dst);
    }

    @Override
    public void decompress(ByteBuffer src, ByteBuffer dst) throws IOException {
      DeflateCompressor.INSTANCE.decompress(src, dst);
    }
  }

  private static ByteBuffer random(long seed) {
    byte[] b = new byte[GROUP];
    new Random(seed).nextBytes(b);
    return ByteBuffer.wrap(b);
  }

  @Test
  void fourFailuresInARowSkipTheNextSixtyGroupsThenTryAgain() {
    Counting c = new Counting();
    AdaptiveCompression ac = new AdaptiveCompression(c);
    ByteBuffer dst = ByteBuffer.allocate(c.maxCompressedLength(GROUP));
    for (int i = 0; i < 4; i++) {
      assertEquals(-1, ac.tryCompress(random(i), dst));
      assertEquals(0, dst.position(), "a failed attempt leaves dst's position");
    }
    assertEquals(4, c.calls);
    assertEquals(60, ac.skipping());
    for (int i = 0; i < 60; i++) {
      assertEquals(-1, ac.tryCompress(ByteBuffer.allocate(GROUP), dst));
    }
    assertEquals(4, c.calls, "skipped groups are not offered to the compressor");
    assertEquals(0, ac.skipping());
    int n = ac.tryCompress(ByteBuffer.allocate(GROUP), dst);
    assertEquals(5, c.calls);
    assertTrue(n > 0 && n < GROUP, "zeros compress: " + n);
    assertEquals(n, dst.position());
  }

  @Test
  void aSuccessResetsTheRunOfFailures() {
    Counting c = new Counting();
    AdaptiveCompression ac = new AdaptiveCompression(c);
    ByteBuffer dst = ByteBuffer.allocate(c.maxCompressedLength(GROUP));
    for (int round = 0; round < 3; round++) {
      for (int i = 0; i < 3; i++) {
        assertEquals(-1, ac.tryCompress(random(round * 10 + i), dst.clear()));
      }
      assertTrue(ac.tryCompress(ByteBuffer.allocate(GROUP), dst.clear()) > 0);
    }
    assertEquals(0, ac.skipping());
    assertEquals(12, c.calls);
  }

  @Test
  void groupsWrittenRawByTheCallerCountAsSkipped() {
    AdaptiveCompression ac = new AdaptiveCompression(new Counting());
    ByteBuffer dst = ByteBuffer.allocate(2 * GROUP);
    for (int i = 0; i < 4; i++) {
      ac.tryCompress(random(i), dst.clear());
    }
    ac.skipped(59);
    assertEquals(1, ac.skipping());
  }
}
