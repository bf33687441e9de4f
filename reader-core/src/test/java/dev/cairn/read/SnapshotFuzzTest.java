package dev.cairn.read;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.cairn.format.BlockEntry;
import dev.cairn.format.CairnException;
import dev.cairn.testing.MemoryByteSource;
import dev.cairn.testing.Resealer;
import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * Fuzzes the whole open-and-read path over an in-memory file: header, dictionary, trailer, footer,
 * index pages, stored blocks, decompression. Only a {@link CairnException} naming the file may come
 * out; any other exception or error is a finding.
 *
 * <p>Under plain {@code mvn test} both targets run in Jazzer's regression mode over the seeds in
 * {@code src/test/resources/dev/cairn/read/SnapshotFuzzTestInputs/} (real snapshots made by the
 * writer, see {@code FuzzSeeds}; a target also runs the files in its own subdirectory, where Jazzer
 * saves crash reproducers). To fuzz one target for real: {@code JAZZER_FUZZ=1 mvn -pl reader-core
 * test -Dtest=SnapshotFuzzTest#snapshotOpenResealed}.
 */
class SnapshotFuzzTest {
  static final String SOURCE = "/fuzz/input.cairn";

  @FuzzTest(maxDuration = "5m")
  void snapshotOpen(byte[] data) throws IOException {
    openAndRead(data);
  }

  /**
   * The same, after recomputing every checksum the file's structure leads to ({@link Resealer}), so
   * that mutations get past the CRCs to the range checks, decompressors and read paths.
   */
  @FuzzTest(maxDuration = "5m")
  void snapshotOpenResealed(byte[] data) throws IOException {
    byte[] copy = data.clone();
    Resealer.reseal(copy);
    openAndRead(copy);
  }

  private static void openAndRead(byte[] data) throws IOException {
    MemoryByteSource src = new MemoryByteSource(data, SOURCE);
    try (Snapshot snap = Snapshot.open(src, BlockCache.withCapacity(1 << 20), new ReadStats())) {
      for (StreamReader s : snap.streams()) {
        exercise(s);
      }
      long blocks = 0;
      for (StreamReader s : snap.streams()) {
        blocks += s.blockCount();
      }
      if (blocks <= 64) {
        Verifier.Report r = new Verifier(snap).run(done -> {});
        assertEquals(blocks, r.blocksChecked());
      }
    } catch (CairnException e) {
      assertTrue(e.getMessage().startsWith(SOURCE + ": "), e.getMessage());
      assertTrue(e.getMessage().indexOf('\n') < 0, e.getMessage());
    }
    assertTrue(src.isClosed(), "source closed");
  }

  /** A bounded sample of reads: a stream may claim to be huge. */
  private static void exercise(StreamReader s) throws IOException {
    long blocks = s.blockCount();
    int bs = s.blockSize();
    long[] sample = {0, 1, blocks / 2, blocks - 2, blocks - 1};
    for (long b : sample) {
      if (b < 0 || b >= blocks) {
        continue;
      }
      try {
        BlockEntry e = s.entry(b);
        assertEquals(16, e.contentHash().length);
      } catch (CairnException e) {
        assertTrue(e.getMessage().startsWith(SOURCE + ": "), e.getMessage());
      }
      int len = s.blockLength(b);
      for (ByteBuffer dst :
          new ByteBuffer[] {
            ByteBuffer.allocateDirect(len), ByteBuffer.allocate(Math.min(len, 100) + 1)
          }) {
        try {
          int n = s.read(b * bs, dst);
          assertTrue(n > 0 && n <= dst.capacity(), "read " + n);
        } catch (CairnException e) {
          assertTrue(e.getMessage().startsWith(SOURCE + ": "), e.getMessage());
        }
      }
    }
    assertEquals(0, s.read(s.size(), ByteBuffer.allocate(1)));
  }
}
