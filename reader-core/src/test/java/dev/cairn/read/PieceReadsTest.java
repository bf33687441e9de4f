package dev.cairn.read;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.cairn.format.CodecType;
import dev.cairn.testing.Fixture;
import dev.cairn.testing.MemoryByteSource;
import dev.cairn.testing.Snapshots;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * Parts of blocks: one read once is decoded in scratch memory and cached nowhere; one read again
 * soon is decoded into the cache, which serves its next pieces.
 */
class PieceReadsTest {
  private final byte[] primary = Fixture.primary();
  private final Snapshots.Written written = Fixture.write(CodecType.LZ4);

  @Test
  void aBlockReadOnceInPartIsNotCachedAndOneReadAgainSoonIs() throws IOException {
    BlockCache cache = BlockCache.withCapacity(1 << 20);
    ReadStats stats = new ReadStats();
    int bs = Fixture.BLOCK;
    try (Snapshot s = Snapshot.open(new MemoryByteSource(written.file(), "snap"), cache, stats)) {
      StreamReader r = s.stream(0);
      // blocks 0, 4, 8, 12 hold text (stored compressed): one piece of each
      for (int b = 0; b < 14; b += 4) {
        check(r, (long) b * bs + 5, 200);
      }
      assertEquals(0, cache.weightedSize(), "nothing cached for pieces read once");
      assertEquals(4, stats.snapshot().blocksDecompressed());
      // block 0 again, piece by piece: decoded into the cache once, then hits
      for (int piece = 0; piece < 4; piece++) {
        check(r, 1000L * piece, 100);
      }
      ReadStatsSnapshot after = stats.snapshot();
      assertEquals(5, after.blocksDecompressed(), after.toString());
      assertEquals(3, after.cacheHits(), after.toString());
      assertEquals(bs + 96, cache.weightedSize());
    }
  }

  private void check(StreamReader r, long at, int n) throws IOException {
    ByteBuffer got = ByteBuffer.allocate(n);
    assertEquals(n, r.read(at, got));
    assertArrayEquals(
        Arrays.copyOfRange(primary, (int) at, (int) at + n), got.array(), "bytes at " + at);
  }
}
