package dev.cairn.write;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cairn.format.BlockKind;
import dev.cairn.overlay.OverlayImage;
import dev.cairn.overlay.SnapshotOpener;
import dev.cairn.read.BlockCache;
import dev.cairn.read.ReadStats;
import dev.cairn.read.Snapshot;
import dev.cairn.read.SnapshotChain;
import dev.cairn.read.StreamReader;
import dev.cairn.source.FileByteSource;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Commit of an overlay into thin and flat snapshots, through the one writer. */
class CommitTest {
  private static final int BS = 4096;

  @TempDir Path dir;

  private Path base;
  private byte[] baseBytes;
  private byte[] notes;

  private void packBase() throws IOException {
    baseBytes = new byte[100 * BS + 321];
    Random r = new Random(7);
    for (int i = 0; i < baseBytes.length; i += 16) {
      baseBytes[i] = (byte) r.nextInt();
    }
    notes = "release notes\n".repeat(500).getBytes();
    Path img = dir.resolve("disk.img");
    Path sec = dir.resolve("notes.txt");
    Files.write(img, baseBytes);
    Files.write(sec, notes);
    base = dir.resolve("base.cairn");
    Pack.run(
        List.of(new Pack.Input(img, "disk.img"), new Pack.Input(sec, "notes.txt")),
        base,
        WriterOptions.defaults().withBlockSizeLog2(12),
        p -> {});
  }

  private SnapshotOpener opener() {
    return SnapshotOpener.chains(List.of(), BlockCache.withCapacity(1 << 20), new ReadStats());
  }

  private static byte[] readAll(StreamReader r) throws IOException {
    ByteBuffer b = ByteBuffer.allocate((int) r.size());
    r.read(0, b);
    return b.array();
  }

  @Test
  void thinCommitStoresOnlyChangedBlocksAndReadsBackExactly() throws IOException {
    packBase();
    byte[] expected = Arrays.copyOf(baseBytes, baseBytes.length + 5 * BS);
    Path ov = dir.resolve("work");
    try (Snapshot s =
            Snapshot.open(
                FileByteSource.open(base), BlockCache.withCapacity(1 << 20), new ReadStats());
        OverlayImage img = OverlayImage.create(ov, base, s)) {
      write(img, expected, 10 * BS + 100, "hello overlay".getBytes());
      write(img, expected, 50 * BS, new byte[BS]); // a whole block of zeros
      byte[] same = Arrays.copyOfRange(baseBytes, 70 * BS, 71 * BS);
      write(img, expected, 70 * BS, same); // rewritten with identical bytes
      img.truncate(expected.length);
      write(img, expected, expected.length - 10, "tail!".getBytes());
      img.fsync();
    }
    Path child = dir.resolve("child.cairn");
    try (OverlayImage img = OverlayImage.openReadOnly(ov, opener())) {
      Commit.run(img, child, WriterOptions.defaults(), false, p -> {});
    }
    try (SnapshotChain c =
        SnapshotChain.open(child, List.of(), BlockCache.withCapacity(1 << 20), new ReadStats())) {
      assertEquals(2, c.members().size());
      StreamReader p = c.top().stream(0);
      assertArrayEquals(expected, readAll(p));
      assertArrayEquals(notes, readAll(c.top().stream(1)));
      assertEquals(BlockKind.PARENT, p.entry(0).kind());
      assertEquals(BlockKind.PARENT, p.entry(70).kind(), "identical rewrite stays a reference");
      assertEquals(BlockKind.ZERO, p.entry(50).kind());
      assertTrue(p.entry(10).kind().hasData());
      long stored = 0;
      for (long b = 0; b < p.blockCount(); b++) {
        if (p.entry(b).kind().hasData()) {
          stored++;
        }
      }
      // block 10, the old partial tail block 100 and the last grown block.
      assertEquals(3, stored);
      assertTrue(Files.size(child) < Files.size(base) / 4);
    }
    // The overlay is untouched by commit and still opens.
    try (OverlayImage img = OverlayImage.open(ov, opener())) {
      assertEquals(expected.length, img.size());
    }
  }

  @Test
  void flatCommitNeedsNoParent() throws IOException {
    packBase();
    byte[] expected = baseBytes.clone();
    Path ov = dir.resolve("work");
    try (Snapshot s =
            Snapshot.open(
                FileByteSource.open(base), BlockCache.withCapacity(1 << 20), new ReadStats());
        OverlayImage img = OverlayImage.create(ov, base, s)) {
      write(img, expected, 3, "x".getBytes());
      img.fsync();
    }
    Path flat = dir.resolve("flat.cairn");
    try (OverlayImage img = OverlayImage.openReadOnly(ov, opener())) {
      Commit.run(img, flat, WriterOptions.defaults(), true, p -> {});
    }
    Files.delete(base);
    try (Snapshot s =
        Snapshot.open(
            FileByteSource.open(flat), BlockCache.withCapacity(1 << 20), new ReadStats())) {
      assertFalse(s.header().hasParent());
      assertArrayEquals(expected, readAll(s.stream(0)));
      assertArrayEquals(notes, readAll(s.stream(1)));
    }
    try (Stream<Path> files = Files.list(dir)) {
      assertTrue(files.noneMatch(f -> f.getFileName().toString().contains(".tmp-")));
    }
  }

  private static void write(OverlayImage img, byte[] model, long at, byte[] data)
      throws IOException {
    img.write(at, ByteBuffer.wrap(data));
    System.arraycopy(data, 0, model, (int) at, data.length);
  }
}
