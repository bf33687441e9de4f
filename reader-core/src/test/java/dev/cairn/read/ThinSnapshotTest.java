package dev.cairn.read;

import static dev.cairn.format.HashAlgorithm.SHA256_128;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cairn.error.CorruptSnapshotException;
import dev.cairn.error.MissingParentException;
import dev.cairn.format.BlockKind;
import dev.cairn.source.FileByteSource;
import dev.cairn.testing.Resealer;
import dev.cairn.testing.TestData;
import dev.cairn.write.Pack;
import dev.cairn.write.WriterOptions;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
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
    return pack(name, content, parent, WriterOptions.defaults());
  }

  private Path pack(String name, byte[] content, Path parent, WriterOptions options)
      throws IOException {
    Path in = dir.resolve(name + ".img");
    Files.write(in, content);
    Path out = dir.resolve(name + ".cairn");
    WriterOptions o = options.withBlockSizeLog2(12).withEntriesPerPage(16);
    if (parent == null) {
      Pack.run(List.of(new Pack.Input(in, "disk.img")), out, o, b -> {});
      return out;
    }
    try (SnapshotChain p = open(parent)) {
      o = o.withParent(p.top().header(), dir.relativize(parent).toString());
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

  @Test
  void aHashMatchIsConfirmedByTheBytesWhenTheHashIsNotCollisionResistant() throws IOException {
    byte[] a = image(4 * BS, 11);
    byte[] b = a.clone();
    Arrays.fill(b, 0, BS, (byte) 7);
    Path parent = pack("forged-parent", a, null);
    // Make the parent's block 0 claim the hash of the child's block 0, as a crafted XXH3
    // collision would: the child must still store its own bytes.
    byte[] f = Files.readAllBytes(parent);
    int page = new String(f, StandardCharsets.ISO_8859_1).indexOf("CIXP");
    assertTrue(page > 0, "index page found");
    System.arraycopy(TestData.contentHash(b, 0, BS), 0, f, page + 24 + 24, 16);
    Resealer.reseal(f);
    Files.write(parent, f);
    Path child = pack("forged-child", b, parent);
    try (SnapshotChain c = open(child)) {
      StreamReader s = c.top().stream(0);
      assertEquals(BlockKind.COMPRESSED, s.entry(0).kind(), "stored, not inherited");
      for (int i = 1; i < 4; i++) {
        assertEquals(BlockKind.PARENT, s.entry(i).kind(), "block " + i);
      }
      assertArrayEquals(b, readAll(s));
    }
  }

  @Test
  void aChildOfAFormat10ParentKeepsSha256() throws IOException {
    byte[] a = image(4 * BS, 12);
    byte[] b = a.clone();
    Arrays.fill(b, 2 * BS, 3 * BS, (byte) 9);
    Path parent = pack("sha-parent", a, null, WriterOptions.defaults().withContentHash(SHA256_128));
    Path child = pack("sha-child", b, parent);
    try (SnapshotChain c = open(child)) {
      assertEquals(SHA256_128, c.top().header().contentHash());
      StreamReader s = c.top().stream(0);
      assertEquals(BlockKind.PARENT, s.entry(0).kind());
      assertEquals(BlockKind.COMPRESSED, s.entry(2).kind());
      assertArrayEquals(b, readAll(s));
      assertTrue(new Verifier(c.top()).run(d -> {}).ok());
    }
    // a writer told only the parent's id, not its algorithm, is refused rather than never matching
    try (SnapshotChain p = open(parent)) {
      WriterOptions o =
          WriterOptions.defaults()
              .withBlockSizeLog2(12)
              .withParent(p.top().header().snapshotId(), "sha-parent.cairn");
      Path in = Files.write(dir.resolve("x.img"), b);
      IllegalArgumentException e =
          assertThrows(
              IllegalArgumentException.class,
              () ->
                  Pack.run(
                      List.of(new Pack.Input(in, "disk.img")),
                      dir.resolve("x.cairn"),
                      o,
                      null,
                      p.top(),
                      d -> {}));
      assertTrue(e.getMessage().contains("content hash"), e.getMessage());
      assertTrue(Files.notExists(dir.resolve("x.cairn")));
    }
  }
}
