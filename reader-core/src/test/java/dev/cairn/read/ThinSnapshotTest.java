package dev.cairn.read;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cairn.format.CorruptSnapshotException;
import dev.cairn.format.MissingParentException;
import dev.cairn.store.FileByteSource;
import dev.cairn.write.Pack;
import dev.cairn.write.WriterOptions;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Thin snapshots: inherited blocks, parent resolution by id and hint, chains and diff. */
class ThinSnapshotTest {
  private static final int BS = 4096;

  @TempDir Path dir;

  private static byte[] image(int size, long seed) {
    byte[] b = new byte[size];
    Random r = new Random(seed);
    for (int i = 0; i < size; i += 64) {
      byte v = (byte) r.nextInt(4); // compressible but not zero
      Arrays.fill(b, i, Math.min(size, i + 64), v == 0 ? 1 : v);
    }
    return b;
  }

  private Path pack(String name, byte[] content, Path parent) throws IOException {
    Path in = dir.resolve(name + ".img");
    Files.write(in, content);
    Path out = dir.resolve(name + ".cairn");
    WriterOptions o = WriterOptions.defaults().withBlockSizeLog2(12).withEntriesPerPage(16);
    if (parent == null) {
      Pack.run(List.of(new Pack.Input(in, "disk.img")), out, o, b -> {});
      return out;
    }
    try (SnapshotChain p = open(parent)) {
      o = o.withParent(p.top().header().snapshotId(), dir.relativize(parent).toString());
      Pack.run(List.of(new Pack.Input(in, "disk.img")), out, o, null, p.top(), b -> {});
    }
    return out;
  }

  private SnapshotChain open(Path p) throws IOException {
    return SnapshotChain.open(p, List.of(), BlockCache.withCapacity(1 << 20), new ReadStats());
  }

  private static byte[] readAll(StreamReader r) throws IOException {
    ByteBuffer b = ByteBuffer.allocate((int) r.size());
    assertEquals(r.size(), r.read(0, b));
    return b.array();
  }

  @Test
  void chainOfTenReadsEveryVersionExactly() throws IOException {
    byte[] v = image(200 * BS + 123, 1);
    Path prev = pack("v0", v, null);
    byte[][] versions = new byte[11][];
    versions[0] = v.clone();
    Random r = new Random(2);
    for (int i = 1; i <= 10; i++) {
      v = v.clone();
      for (int k = 0; k < 5; k++) {
        int at = r.nextInt(v.length - 10);
        v[at] ^= 0x55;
      }
      if (i == 5) {
        v = Arrays.copyOf(v, v.length + 3 * BS); // grows, tail zero-filled
      }
      versions[i] = v.clone();
      prev = pack("v" + i, v, prev);
    }
    try (SnapshotChain chain = open(prev)) {
      assertEquals(11, chain.members().size());
      StreamReader top = chain.top().stream(0);
      assertArrayEquals(versions[10], readAll(top));
      long stored = 0;
      for (long b = 0; b < top.blockCount(); b++) {
        if (top.entry(b).kind().hasData()) {
          stored++;
        }
      }
      // Five flipped bytes touch at most five blocks; everything else is inherited or zero.
      assertTrue(stored >= 1 && stored <= 5, "only changed blocks are stored: " + stored);
      Verifier.Report rep = new Verifier(chain.top()).run(x -> {});
      assertTrue(rep.ok(), rep.problems().toString());
    }
    for (int i = 0; i <= 10; i++) {
      try (SnapshotChain c = open(dir.resolve("v" + i + ".cairn"))) {
        assertArrayEquals(versions[i], readAll(c.top().stream(0)), "version " + i);
      }
    }
  }

  @Test
  void movedTogetherStillOpensAndReplacedParentIsRefused() throws IOException {
    byte[] base = image(50 * BS, 3);
    Path p = pack("base", base, null);
    byte[] child = base.clone();
    child[7 * BS + 1] ^= 1;
    Path c = pack("child", child, p);

    Path moved = Files.createDirectories(dir.resolve("elsewhere"));
    Files.move(p, moved.resolve("base.cairn"));
    Files.move(c, moved.resolve("child.cairn"));
    try (SnapshotChain chain = open(moved.resolve("child.cairn"))) {
      assertArrayEquals(child, readAll(chain.top().stream(0)));
    }

    Files.move(moved.resolve("base.cairn"), dir.resolve("hidden-base.cairn"));
    MissingParentException missing =
        assertThrows(MissingParentException.class, () -> open(moved.resolve("child.cairn")));
    assertTrue(missing.getMessage().contains("base.cairn (missing)"), missing.getMessage());

    // Found via --parent-search.
    try (SnapshotChain chain =
        SnapshotChain.open(
            moved.resolve("child.cairn"),
            List.of(dir.resolve("search")),
            BlockCache.withCapacity(1 << 20),
            new ReadStats())) {
      throw new AssertionError("search dir does not exist, must not be found: " + chain);
    } catch (MissingParentException expected) {
      // fine
    }

    // A different snapshot under the parent's name is refused, naming both ids.
    byte[] other = image(50 * BS, 99);
    Path impostor = pack("impostor", other, null);
    Files.move(impostor, moved.resolve("base.cairn"));
    MissingParentException wrong =
        assertThrows(MissingParentException.class, () -> open(moved.resolve("child.cairn")));
    assertTrue(wrong.getMessage().contains("a different snapshot"), wrong.getMessage());
  }

  @Test
  void inheritedBlockWithoutItsParentIsReportedNotZeroFilled() throws IOException {
    byte[] base = image(20 * BS, 4);
    Path p = pack("base", base, null);
    byte[] child = base.clone();
    child[0] ^= 1;
    Path c = pack("child", child, p);
    try (Snapshot alone =
        Snapshot.open(FileByteSource.open(c), BlockCache.withCapacity(1 << 20), new ReadStats())) {
      ByteBuffer buf = ByteBuffer.allocate(BS);
      alone.stream(0).read(0, buf); // block 0 changed: stored in the child
      CorruptSnapshotException e =
          assertThrows(
              CorruptSnapshotException.class,
              () -> alone.stream(0).read(BS, ByteBuffer.allocate(10)));
      assertEquals(1, e.block());
    }
  }

  @Test
  void diffFindsExactlyTheChangedBlocks() throws IOException {
    byte[] base = image(64 * BS, 5);
    Path p = pack("base", base, null);
    byte[] child = base.clone();
    child[3 * BS + 17] ^= 1;
    child[4 * BS] ^= 1;
    child[40 * BS + 5] ^= 1;
    Path c = pack("child", child, p);
    try (SnapshotChain a = open(p);
        SnapshotChain b = open(c)) {
      List<SnapshotDiff.StreamDiff> d = new SnapshotDiff(a.top(), b.top()).run(x -> {});
      assertEquals(1, d.size());
      assertEquals(
          List.of(new SnapshotDiff.Range(3L * BS, 2L * BS), new SnapshotDiff.Range(40L * BS, BS)),
          d.get(0).ranges());
      assertEquals(3L * BS, d.get(0).changedBytes());
      assertTrue(new SnapshotDiff(a.top(), a.top()).run(x -> {}).get(0).identical());
    }
  }
}
