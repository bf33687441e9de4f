package dev.cairn.read;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.cairn.format.BlockEntry;
import dev.cairn.format.BlockKind;
import dev.cairn.format.CodecType;
import dev.cairn.source.ByteSource;
import dev.cairn.testing.Fixture;
import dev.cairn.testing.MemoryByteSource;
import dev.cairn.testing.Snapshots;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A read of several blocks tells the byte source, before decoding them one by one, the stored bytes
 * of those it does not hold ({@link ByteSource#willRead}), so that a remote source can fetch them
 * in one request: which ranges it is told, over the fixture's layout (4 KiB blocks, four to an
 * index page; blocks 2 and 6 are zero blocks).
 */
class AnnouncedReadTest {
  private static final Snapshots.Written W = Fixture.write(CodecType.LZ4);
  private static final int BLOCK = Fixture.BLOCK;

  /** Holds what was read or announced; remembers the announcements. */
  private static final class Announcing implements ByteSource {
    final ByteSource inner = new MemoryByteSource(W.file(), "announcing");
    final List<long[]> held = new ArrayList<>();
    final List<List<Long>> announced = new ArrayList<>();

    @Override
    public long size() throws IOException {
      return inner.size();
    }

    @Override
    public synchronized void readFully(long position, ByteBuffer dst) throws IOException {
      held.add(new long[] {position, position + dst.remaining()});
      inner.readFully(position, dst);
    }

    @Override
    public synchronized boolean holds(long position, int length) {
      return held.stream().anyMatch(r -> r[0] <= position && position + length <= r[1]);
    }

    @Override
    public synchronized void willRead(long position, int length) {
      announced.add(List.of(position, (long) length));
      held.add(new long[] {position, position + length});
    }

    @Override
    public String describe() {
      return inner.describe();
    }

    @Override
    public void close() throws IOException {
      inner.close();
    }
  }

  private static List<Long> span(StreamReader r, long first, long last) throws IOException {
    BlockEntry a = r.entry(first);
    BlockEntry b = r.entry(last);
    return List.of(a.offset(), b.offset() + b.storedLength() - a.offset());
  }

  private static byte[] read(StreamReader r, long offset, int length) throws IOException {
    ByteBuffer dst = ByteBuffer.allocate(length);
    assertEquals(length, r.read(offset, dst));
    return dst.array();
  }

  @Test
  void theBlocksTheSourceLacksAreAnnouncedTogetherPerIndexPage() throws IOException {
    Announcing source = new Announcing();
    try (Snapshot s = Snapshots.open(source, 1 << 20)) {
      StreamReader r = s.stream(0);
      byte[] primary = W.inputs().get(0);
      assertEquals(BlockKind.ZERO, r.entry(6).kind());
      source.announced.clear();

      // blocks 4 to 7: one page, 6 stores nothing
      assertArrayEquals(
          Arrays.copyOfRange(primary, 4 * BLOCK, 8 * BLOCK), read(r, 4L * BLOCK, 4 * BLOCK));
      assertEquals(List.of(span(r, 4, 7)), source.announced);

      // again: the source holds them now
      source.announced.clear();
      assertArrayEquals(
          Arrays.copyOfRange(primary, 4 * BLOCK + 10, 8 * BLOCK - 10),
          read(r, 4L * BLOCK + 10, 4 * BLOCK - 20));
      assertEquals(List.of(), source.announced);

      // blocks 0 to 3 and 8 to 11, read across pages 0, 1 and 2 (page 1 held): two announcements
      byte[] all = read(r, 0, 12 * BLOCK);
      assertArrayEquals(Arrays.copyOfRange(primary, 0, 12 * BLOCK), all);
      assertEquals(List.of(span(r, 0, 3), span(r, 8, 11)), source.announced);

      // a single block the source lacks is left to its read
      source.announced.clear();
      assertArrayEquals(
          Arrays.copyOfRange(primary, 12 * BLOCK - 5, 13 * BLOCK),
          read(r, 12L * BLOCK - 5, BLOCK + 5));
      assertEquals(List.of(), source.announced, "block 11 is held, 12 alone");
    }
  }
}
