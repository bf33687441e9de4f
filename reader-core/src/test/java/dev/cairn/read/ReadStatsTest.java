package dev.cairn.read;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cairn.format.CodecType;
import dev.cairn.source.ByteSource;
import dev.cairn.testing.Fixture;
import dev.cairn.testing.MemoryByteSource;
import dev.cairn.testing.Snapshots;
import java.io.IOException;
import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

class ReadStatsTest {
  @Test
  void readsAreTimedAndTheSlowOnesCountedApart() {
    ReadStats s = new ReadStats();
    s.recordRead(4096, 2_000_000);
    s.recordRead(8192, ReadStatsSnapshot.SLOW_READ_NANOS - 1);
    s.recordRead(100, ReadStatsSnapshot.SLOW_READ_NANOS);
    s.recordRead(1, 53_000_000);
    ReadStatsSnapshot v = s.snapshot();
    assertEquals(4, v.reads());
    assertEquals(4096 + 8192 + 100 + 1, v.bytesRead());
    assertEquals(2_000_000 + 9_999_999 + 10_000_000 + 53_000_000, v.readNanos());
    assertEquals(74, v.readMillis());
    assertEquals(2, v.slowReads(), "10 ms and more");
    assertEquals(63_000_000, v.slowReadNanos());
    assertEquals(63, v.slowReadMillis());
  }

  /** A stream read that waits on its source is timed from call to return, the wait included. */
  @Test
  void aStreamReadsWaitForItsSourceCounts() throws Exception {
    Snapshots.Written w = Fixture.write(CodecType.LZ4);
    MemoryByteSource bytes = new MemoryByteSource(w.file(), "slow");
    ByteSource slow =
        new ByteSource() {
          @Override
          public long size() {
            return bytes.size();
          }

          @Override
          public void readFully(long position, ByteBuffer dst) throws IOException {
            try {
              Thread.sleep(15);
            } catch (InterruptedException e) {
              throw new IOException(e);
            }
            bytes.readFully(position, dst);
          }

          @Override
          public String describe() {
            return bytes.describe();
          }

          @Override
          public void close() {}
        };
    ReadStats stats = new ReadStats();
    try (Snapshot s = Snapshot.open(slow, BlockCache.withCapacity(1 << 20), stats)) {
      StreamReader r = s.stream(0);
      long block = 0;
      while (!r.entry(block).kind().hasData()) {
        block++;
      }
      ReadStatsSnapshot before = stats.snapshot();
      r.read(block * r.blockSize(), ByteBuffer.allocate(4096));
      ReadStatsSnapshot after = stats.snapshot();
      assertEquals(1, after.reads() - before.reads());
      assertEquals(1, after.slowReads() - before.slowReads(), "waited 15 ms for its block");
      assertTrue(after.readNanos() - before.readNanos() >= 15_000_000, after.toString());
    }
  }
}
