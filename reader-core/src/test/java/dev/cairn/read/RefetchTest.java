package dev.cairn.read;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.cairn.error.CorruptSnapshotException;
import dev.cairn.format.BlockEntry;
import dev.cairn.format.CodecType;
import dev.cairn.source.ByteSource;
import dev.cairn.testing.Fixture;
import dev.cairn.testing.MemoryByteSource;
import dev.cairn.testing.Snapshots;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * Stored bytes that fail their CRC32C are read once more when the byte source can drop its copy of
 * them ({@link ByteSource#invalidate}), as a remote source with a chunk cache can: a wrong copy
 * heals on the next read; bytes that are wrong again are corruption; a local file is read once.
 */
class RefetchTest {
  static final String NAME = "https://example.test/s.cairn";
  static final Snapshots.Written W = Fixture.write(CodecType.LZ4);

  /** Over the snapshot's bytes, flips one byte of {@code offset} until told to forget it. */
  static final class WrongCopy implements ByteSource {
    final ByteSource inner = new MemoryByteSource(W.file(), NAME);
    final long offset;
    final boolean healsOnInvalidate;
    final boolean canInvalidate;
    boolean wrong = true;
    int invalidations;
    int readsOfOffset;

    WrongCopy(long offset, boolean healsOnInvalidate, boolean canInvalidate) {
      this.offset = offset;
      this.healsOnInvalidate = healsOnInvalidate;
      this.canInvalidate = canInvalidate;
    }

    @Override
    public long size() throws IOException {
      return inner.size();
    }

    @Override
    public synchronized void readFully(long position, ByteBuffer dst) throws IOException {
      int at = dst.position();
      int n = dst.remaining();
      inner.readFully(position, dst);
      if (position <= offset && offset < position + n) {
        readsOfOffset++;
        if (wrong) {
          int i = at + (int) (offset - position);
          dst.put(i, (byte) (dst.get(i) ^ 0x10));
        }
      }
    }

    @Override
    public synchronized boolean invalidate(long position, int length) {
      invalidations++;
      if (healsOnInvalidate) {
        wrong = false;
      }
      return canInvalidate;
    }

    @Override
    public String describe() {
      return NAME;
    }

    @Override
    public void close() throws IOException {
      inner.close();
    }
  }

  /** The first block of the primary stream that holds stored bytes. */
  static long firstDataBlock() {
    for (int b = 0; ; b++) {
      if (W.page(0, 0).entry(b).kind().hasData()) {
        return b;
      }
    }
  }

  static byte[] readBlock(Snapshot snap, long block) throws IOException {
    StreamReader s = snap.stream(0);
    ByteBuffer b = ByteBuffer.allocate(s.blockLength(block));
    s.read(block * s.blockSize(), b);
    return b.array();
  }

  static byte[] expectedBlock(Snapshot snap, long block) {
    int bs = snap.stream(0).blockSize();
    int from = (int) (block * bs);
    return Arrays.copyOfRange(Fixture.primary(), from, from + snap.stream(0).blockLength(block));
  }

  @Test
  void aWrongCopyIsDroppedAndTheBlockReadsRightTheSecondTime() throws IOException {
    long block = firstDataBlock();
    BlockEntry e = W.page(0, 0).entry((int) block);
    WrongCopy source = new WrongCopy(e.offset() + e.storedLength() / 2, true, true);
    try (Snapshot snap = Snapshots.open(source, 16 << 20)) {
      assertArrayEquals(expectedBlock(snap, block), readBlock(snap, block));
      assertEquals(1, source.invalidations);
      assertEquals(2, source.readsOfOffset);
      ReadStatsSnapshot st = snap.stats().snapshot();
      assertEquals(1, st.refetches());
      assertEquals(0, st.errors());
    }
  }

  @Test
  void bytesWrongAgainAfterTheRefetchAreCorruption() throws IOException {
    long block = firstDataBlock();
    BlockEntry e = W.page(0, 0).entry((int) block);
    WrongCopy source = new WrongCopy(e.offset(), false, true);
    try (Snapshot snap = Snapshots.open(source, 16 << 20)) {
      CorruptSnapshotException x =
          assertThrows(CorruptSnapshotException.class, () -> readBlock(snap, block));
      assertEquals(
          NAME
              + ": corrupt snapshot, stream "
              + Fixture.PRIMARY
              + ", block "
              + block
              + ": checksum mismatch in stored bytes (CRC32C)",
          x.getMessage());
      assertEquals(1, source.invalidations);
      assertEquals(2, source.readsOfOffset);
      assertEquals(1, snap.stats().snapshot().refetches());
    }
  }

  @Test
  void aSourceThatKeepsNoCopyIsReadOnce() throws IOException {
    long block = firstDataBlock();
    BlockEntry e = W.page(0, 0).entry((int) block);
    WrongCopy source = new WrongCopy(e.offset(), true, false);
    try (Snapshot snap = Snapshots.open(source, 16 << 20)) {
      assertThrows(CorruptSnapshotException.class, () -> readBlock(snap, block));
      assertEquals(1, source.invalidations);
      assertEquals(1, source.readsOfOffset);
      assertEquals(0, snap.stats().snapshot().refetches());
    }
  }
}
