package dev.cairn.read;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.cairn.error.CairnException;
import dev.cairn.error.CorruptSnapshotException;
import dev.cairn.format.BlockEntry;
import dev.cairn.format.BlockKind;
import dev.cairn.format.ContentHasher;
import dev.cairn.io.Crc;
import dev.cairn.testing.FuzzSeedContent;
import dev.cairn.testing.MemoryByteSource;
import dev.cairn.testing.Resealer;
import dev.cairn.testing.Snapshots;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Fuzzes the whole open-and-read path over an in-memory file: header, dictionary, trailer, footer,
 * index pages, stored blocks, decompression. Only a {@link CairnException} naming the file may come
 * out; any other exception or error is a finding. Where the input opens, what is read is checked
 * too:
 *
 * <ul>
 *   <li>a committed seed (a real snapshot of known content, {@link FuzzSeedContent}) reads back
 *       exactly its input, every block, except blocks that cannot be read (inherited from a missing
 *       parent, or stored bytes failing their CRC), which must fail;
 *   <li>any input: a block whose stored bytes fail the CRC in its index entry (recomputed here from
 *       the input) is never returned; every read of a block returns the same bytes whatever the
 *       buffer kind, size or cache state; and a block whose returned bytes do not match the content
 *       hash in the index (possible only behind a resealed CRC) is reported by the verifier.
 * </ul>
 *
 * <p>Under plain {@code mvn test} both targets run in Jazzer's regression mode over the seeds in
 * {@code src/test/resources/dev/cairn/read/SnapshotFuzzTestInputs/} (written by {@code FuzzSeeds};
 * a target also runs the files in its own subdirectory, where Jazzer saves crash reproducers). To
 * fuzz one target for real: {@code JAZZER_FUZZ=1 mvn -pl reader-core test
 * -Dtest=SnapshotFuzzTest#snapshotOpenResealed}.
 */
class SnapshotFuzzTest {
  static final String SOURCE = "/fuzz/input.cairn";
  static final String SEEDS = "/dev/cairn/read/SnapshotFuzzTestInputs/";

  /** Committed seed file → its streams' content; null for a seed that must be refused. */
  static final Map<ByteBuffer, List<byte[]>> SEED_CONTENT = loadSeeds();

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
    ByteBuffer key = ByteBuffer.wrap(data);
    boolean seed = SEED_CONTENT.containsKey(key);
    List<byte[]> expected = SEED_CONTENT.get(key);
    MemoryByteSource src = new MemoryByteSource(data, SOURCE);
    try (Snapshot snap = Snapshot.open(src, BlockCache.withCapacity(1 << 20), new ReadStats())) {
      assertTrue(!seed || expected != null, "a seed that must be refused opened");
      if (expected != null) {
        readsBackExactly(snap, data, expected);
      }
      Set<String> unverified = new HashSet<>();
      for (StreamReader s : snap.streams()) {
        exercise(s, data, unverified);
      }
      long blocks = 0;
      for (StreamReader s : snap.streams()) {
        blocks += s.blockCount();
      }
      if (blocks <= 64) {
        Verifier.Report r = new Verifier(snap).run(done -> {});
        assertEquals(blocks, r.blocksChecked());
        for (Verifier.Problem p : r.problems()) {
          unverified.remove(p.stream() + "#" + p.block());
        }
        assertTrue(unverified.isEmpty(), "returned bytes the verifier did not flag: " + unverified);
      }
    } catch (CairnException e) {
      assertTrue(e.getMessage().startsWith(SOURCE + ": "), e.getMessage());
      assertTrue(e.getMessage().indexOf('\n') < 0, e.getMessage());
      if (expected != null) {
        throw new AssertionError("a valid seed failed: " + e.getMessage(), e);
      }
    }
    assertTrue(src.isClosed(), "source closed");
  }

  /** Every block of every stream equals the seed's input, or fails if it cannot be read. */
  private static void readsBackExactly(Snapshot snap, byte[] file, List<byte[]> expected)
      throws IOException {
    assertEquals(expected.size(), snap.streams().size(), "stream count");
    for (StreamReader s : snap.streams()) {
      byte[] want = expected.get(s.index());
      assertEquals(want.length, s.size(), s.name() + ": size");
      int bs = s.blockSize();
      boolean allReadable = true;
      for (long b = 0; b < s.blockCount(); b++) {
        long off = b * bs;
        int len = s.blockLength(b);
        String where = s.name() + " block " + b;
        if (!readable(s.entry(b), file, snap)) {
          allReadable = false;
          assertThrows(
              CorruptSnapshotException.class, () -> s.read(off, ByteBuffer.allocate(len)), where);
          continue;
        }
        for (ByteBuffer dst : new ByteBuffer[] {ByteBuffer.allocate(len), direct(len)}) {
          assertEquals(len, s.read(off, dst), where + ": count");
          assertArrayEquals(
              Arrays.copyOfRange(want, (int) off, (int) off + len), bytes(dst.flip()), where);
        }
      }
      if (allReadable) {
        // Reads that start and end inside blocks, straddle them and hit the cache.
        assertArrayEquals(want, Snapshots.readAll(s), s.name() + ": sequential odd-sized reads");
        Snapshots.checkRandomReads(s, want, 64, 14);
      }
    }
  }

  /** Whether a block can be read at all: its stored bytes pass their CRC, its parent is there. */
  private static boolean readable(BlockEntry e, byte[] file, Snapshot snap) {
    if (e.kind() == BlockKind.PARENT) {
      return snap.parent().isPresent();
    }
    return !e.kind().hasData() || crcHolds(e, file);
  }

  private static boolean crcHolds(BlockEntry e, byte[] file) {
    return e.offset() + e.storedLength() <= file.length
        && Crc.of(ByteBuffer.wrap(file), (int) e.offset(), (int) e.offset() + e.storedLength())
            == e.storedCrc();
  }

  /**
   * A bounded sample of blocks (a stream may claim to be huge), each read whole into a heap buffer,
   * then again into a direct one and partly into a small one: all must agree. A block whose stored
   * bytes fail their CRC must not be returned; one whose bytes fail the content hash goes into
   * {@code unverified} ("stream#block") for the verifier to flag.
   */
  private static void exercise(StreamReader s, byte[] file, Set<String> unverified)
      throws IOException {
    long blocks = s.blockCount();
    int bs = s.blockSize();
    long[] sample = {0, 1, blocks / 2, blocks - 2, blocks - 1};
    ContentHasher hasher = null;
    for (long b : sample) {
      if (b < 0 || b >= blocks) {
        continue;
      }
      BlockEntry entry;
      try {
        entry = s.entry(b);
        assertEquals(16, entry.contentHash().length);
      } catch (CairnException e) {
        assertTrue(e.getMessage().startsWith(SOURCE + ": "), e.getMessage());
        entry = null;
      }
      int len = s.blockLength(b);
      byte[] reference = null;
      for (ByteBuffer dst :
          new ByteBuffer[] {ByteBuffer.allocate(len), direct(len), ByteBuffer.allocate(101)}) {
        int n;
        try {
          n = s.read(b * bs, dst);
        } catch (CairnException e) {
          assertTrue(e.getMessage().startsWith(SOURCE + ": "), e.getMessage());
          continue;
        }
        assertTrue(n > 0 && n <= dst.capacity(), "read " + n);
        byte[] got = bytes(dst.flip());
        String where = s.name() + " block " + b;
        assertTrue(
            entry == null || !entry.kind().hasData() || crcHolds(entry, file),
            where + ": returned although its stored bytes fail their CRC");
        if (reference == null) {
          reference = got;
          if (entry != null && entry.kind() != BlockKind.PARENT && n == len) {
            if (hasher == null) {
              hasher = s.snapshot().header().contentHash().newHasher();
            }
            if (!Arrays.equals(entry.contentHash(), hasher.hash(ByteBuffer.wrap(got)))) {
              unverified.add(s.name() + "#" + b);
            }
          }
        } else {
          int common = Math.min(got.length, reference.length);
          assertArrayEquals(
              Arrays.copyOf(reference, common),
              Arrays.copyOf(got, common),
              where + ": two reads of one block differ");
        }
      }
    }
    assertEquals(0, s.read(s.size(), ByteBuffer.allocate(1)));
  }

  private static ByteBuffer direct(int len) {
    return ByteBuffer.allocateDirect(len);
  }

  private static byte[] bytes(ByteBuffer b) {
    byte[] out = new byte[b.remaining()];
    b.get(out);
    return out;
  }

  private static Map<ByteBuffer, List<byte[]>> loadSeeds() {
    Map<ByteBuffer, List<byte[]>> m = new HashMap<>();
    FuzzSeedContent.STREAMS.forEach((name, streams) -> m.put(seed(name), streams));
    for (String name : FuzzSeedContent.REFUSED) {
      m.put(seed(name), null);
    }
    return m;
  }

  private static ByteBuffer seed(String name) {
    try (InputStream in = SnapshotFuzzTest.class.getResourceAsStream(SEEDS + name)) {
      if (in == null) {
        throw new IllegalStateException("missing seed " + SEEDS + name);
      }
      return ByteBuffer.wrap(in.readAllBytes());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
