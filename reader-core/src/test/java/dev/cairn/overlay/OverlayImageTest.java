package dev.cairn.overlay;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cairn.error.MissingParentException;
import dev.cairn.error.OverlayInUseException;
import dev.cairn.read.Snapshot;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.LongStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class OverlayImageTest {
  /** Not a multiple of any chunk or block size, so the base ends inside a chunk and a block. */
  private static final int BASE_SIZE = 300_001;

  @TempDir Path tmp;

  private Path basePath;
  private byte[] baseBytes;
  private Snapshot base;

  private void makeBase(long seed, int blockLog2) throws IOException {
    baseBytes = Bases.content(BASE_SIZE, seed);
    basePath = Bases.write(tmp.resolve("base.cairn"), baseBytes, blockLog2);
    base = Bases.open(basePath);
  }

  private Path overlayDir() {
    return tmp.resolve("work");
  }

  static LongStream seeds() {
    return LongStream.range(0, 20);
  }

  @ParameterizedTest
  @MethodSource("seeds")
  void randomWritesReadsTruncatesAndReopensMatchAModel(long seed) throws IOException {
    Random r = new Random(seed);
    int chunk = new int[] {4096, 4096, 1024, 16384}[(int) (seed % 4)];
    makeBase(seed, 12 + r.nextInt(3));
    OverlayModel model = new OverlayModel(baseBytes);
    OverlayImage img = OverlayImage.create(overlayDir(), basePath, base, chunk);
    try {
      for (int step = 0; step < 300; step++) {
        int op = r.nextInt(100);
        String where = "seed " + seed + " step " + step;
        if (op < 45) {
          long off = randomOffset(r, model.size, chunk);
          byte[] data = randomData(r, randomLength(r, chunk));
          img.write(off, wrap(data, r));
          model.write(off, data);
        } else if (op < 75) {
          long off = randomOffset(r, model.size, chunk);
          int len = randomLength(r, chunk);
          model.checkRead(img::read, off, len, r.nextBoolean(), r.nextInt(3), where);
        } else if (op < 82) {
          long newSize =
              r.nextBoolean()
                  ? model.size + r.nextInt(3 * chunk)
                  : Math.max(BASE_SIZE, model.size - r.nextInt(3 * chunk));
          img.truncate(newSize);
          model.truncate(newSize);
        } else if (op < 84) {
          long below = BASE_SIZE - 1 - r.nextInt(1000);
          OverlayImage current = img;
          assertThrows(IOException.class, () -> current.truncate(below), where);
        } else if (op < 90) {
          img.fsync();
          assertEquals(0L, img.stats().get("dirtyBytes"), where);
        } else if (op < 95) {
          img.close();
          img = OverlayImage.open(overlayDir(), overlayDir().resolve("../base.cairn"), base);
          model.checkAll(img::read, where + " reopened");
        } else {
          try (OverlayView v = img.view()) {
            model.checkAll(v::read, where + " view");
          }
        }
      }
      model.checkAll(img::read, "seed " + seed + " end");
    } finally {
      img.close();
    }
    try (OverlayImage again = OverlayImage.open(overlayDir(), Bases.opener())) {
      model.checkAll(again::read, "seed " + seed + " reopened by path");
    } finally {
      base.close();
    }
  }

  @Test
  void overlayDirectoryIsCreated0700AndEveryFileInIt0600() throws IOException {
    makeBase(3, 12);
    Path dir = tmp.resolve("new/work");
    try (OverlayImage img = OverlayImage.create(dir, basePath, base, 4096)) {
      img.write(0, ByteBuffer.wrap(new byte[3 * 4096]));
      img.fsync();
      assertTrue(img.compact(), "a second spill file and manifest generation");
      img.write(8192, ByteBuffer.wrap(new byte[] {1}));
      img.fsync();
    }
    assertEquals("rwx------", mode(dir));
    List<String> files = new ArrayList<>();
    try (Stream<Path> s = Files.list(dir)) {
      s.forEach(p -> files.add(p.getFileName() + " " + mode(p)));
    }
    assertTrue(files.size() >= 4, files.toString());
    for (String f : files) {
      assertTrue(f.endsWith(" rw-------"), files.toString());
    }
    base.close();
  }

  @Test
  void anExistingOverlayDirectoryKeepsItsMode() throws IOException {
    makeBase(4, 12);
    Path dir = Files.createDirectory(overlayDir());
    Files.setPosixFilePermissions(
        dir, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-x---"));
    OverlayImage.create(dir, basePath, base, 4096).close();
    assertEquals("rwxr-x---", mode(dir));
    base.close();
  }

  private static String mode(Path p) {
    try {
      return java.nio.file.attribute.PosixFilePermissions.toString(
          Files.getPosixFilePermissions(p, java.nio.file.LinkOption.NOFOLLOW_LINKS));
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private static long randomOffset(Random r, long size, int chunk) {
    return switch (r.nextInt(5)) {
      case 0 -> r.nextInt((int) size); // anywhere
      case 1 -> (long) r.nextInt((int) (size / chunk) + 1) * chunk; // chunk-aligned
      case 2 -> Math.max(0, (long) r.nextInt((int) (size / chunk) + 1) * chunk - r.nextInt(9));
      case 3 -> Math.max(0, size - r.nextInt(2 * chunk)); // near the end
      default -> size + r.nextInt(2 * chunk); // past the end
    };
  }

  private static int randomLength(Random r, int chunk) {
    return switch (r.nextInt(4)) {
      case 0 -> 1 + r.nextInt(16);
      case 1 -> chunk;
      case 2 -> 1 + r.nextInt(3 * chunk);
      default -> 4096 * (1 + r.nextInt(8));
    };
  }

  private static byte[] randomData(Random r, int len) {
    byte[] b = new byte[len];
    if (r.nextBoolean()) {
      r.nextBytes(b);
    } else {
      byte v = (byte) r.nextInt(256);
      Arrays.fill(b, v);
      b[r.nextInt(len)] ^= 1;
    }
    return b;
  }

  /** Heap or direct, at an offset inside a bigger buffer. */
  private static ByteBuffer wrap(byte[] data, Random r) {
    int pad = r.nextInt(3);
    ByteBuffer b =
        r.nextBoolean()
            ? ByteBuffer.allocateDirect(data.length + 2 * pad)
            : ByteBuffer.allocate(data.length + 2 * pad);
    b.position(pad);
    b.put(data);
    b.position(pad).limit(pad + data.length);
    return b;
  }

  @Test
  void writeConsumesTheSourceBuffer() throws IOException {
    makeBase(1, 14);
    try (OverlayImage img = OverlayImage.create(overlayDir(), basePath, base)) {
      ByteBuffer src = ByteBuffer.allocate(10_000).position(100).limit(9_000);
      img.write(5000, src);
      assertEquals(9_000, src.position());
      assertEquals(9_000, src.limit());
    } finally {
      base.close();
    }
  }

  @Test
  void growingReadsZerosAndShrinkingBelowTheBaseIsRefused() throws IOException {
    makeBase(2, 14);
    try (OverlayImage img = OverlayImage.create(overlayDir(), basePath, base)) {
      assertEquals(BASE_SIZE, img.size());
      img.truncate(BASE_SIZE + 100_000L);
      assertEquals(BASE_SIZE + 100_000L, img.size());
      byte[] tail = new byte[100_000];
      ByteBuffer b = ByteBuffer.wrap(tail);
      assertEquals(100_000, img.read(BASE_SIZE, b));
      assertArrayEquals(new byte[100_000], tail, "grown region reads zeros");
      IOException e = assertThrows(IOException.class, () -> img.truncate(BASE_SIZE - 1));
      assertTrue(e.getMessage().contains("cannot shrink below the base"), e.getMessage());
      // Data written in the grown region, then cut back to the base size and grown again: zeros.
      byte[] ones = new byte[50_000];
      Arrays.fill(ones, (byte) 1);
      img.write(BASE_SIZE + 10L, ByteBuffer.wrap(ones));
      img.truncate(BASE_SIZE);
      assertEquals(BASE_SIZE, img.size());
      img.fsync();
      img.truncate(BASE_SIZE + 100_000L);
      b.clear();
      img.read(BASE_SIZE, b);
      assertArrayEquals(new byte[100_000], tail, "regrown region reads zeros");
      // The base itself is untouched at the boundary.
      ByteBuffer last = ByteBuffer.allocate(1);
      img.read(BASE_SIZE - 1, last);
      assertEquals(baseBytes[BASE_SIZE - 1], last.get(0));
    } finally {
      base.close();
    }
  }

  @Test
  void writingPastTheEndLeavesAZeroGap() throws IOException {
    makeBase(3, 14);
    OverlayModel model = new OverlayModel(baseBytes);
    try (OverlayImage img = OverlayImage.create(overlayDir(), basePath, base)) {
      byte[] data = new byte[777];
      new Random(3).nextBytes(data);
      img.write(BASE_SIZE + 20_000L, ByteBuffer.wrap(data));
      model.write(BASE_SIZE + 20_000L, data);
      model.checkAll(img::read, "gap");
    } finally {
      base.close();
    }
  }

  @Test
  void secondOpenOfTheSameDirectoryIsRefusedWithThePid() throws IOException {
    makeBase(4, 14);
    try (OverlayImage img = OverlayImage.create(overlayDir(), basePath, base)) {
      OverlayInUseException e =
          assertThrows(
              OverlayInUseException.class, () -> OverlayImage.open(overlayDir(), Bases.opener()));
      assertEquals(
          "overlay " + img.directory() + " is in use by PID " + ProcessHandle.current().pid(),
          e.getMessage());
      assertThrows(
          OverlayInUseException.class,
          () -> OverlayImage.openReadOnly(overlayDir(), Bases.opener()));
    } finally {
      base.close();
    }
    // Released on close.
    OverlayImage.open(overlayDir(), Bases.opener()).close();
  }

  @Test
  void aReplacedOrMissingBaseIsRefusedNamingTheIdAndThePathsTried() throws IOException {
    makeBase(5, 14);
    String expected = base.header().snapshotId().toString();
    OverlayImage.create(overlayDir(), basePath, base).close();
    base.close();
    // Another snapshot under the same name.
    Bases.write(basePath, Bases.content(BASE_SIZE, 99), 14);
    String other;
    try (Snapshot s = Bases.open(basePath)) {
      other = s.header().snapshotId().toString();
    }
    MissingParentException e =
        assertThrows(
            MissingParentException.class, () -> OverlayImage.open(overlayDir(), Bases.opener()));
    assertTrue(e.getMessage().contains("base snapshot " + expected + " not found"), e.getMessage());
    assertTrue(
        e.getMessage().contains(basePath + " (a different snapshot, " + other + ")"),
        e.getMessage());
    Files.delete(basePath);
    e =
        assertThrows(
            MissingParentException.class, () -> OverlayImage.open(overlayDir(), Bases.opener()));
    assertTrue(e.getMessage().contains(basePath + " (missing)"), e.getMessage());
    // The lock was released by the failed opens.
    assertFalse(Files.exists(overlayDir().resolve("manifest.tmp")));
  }

  @Test
  void baseAndOverlayMovedTogetherStillOpenAndAMovedOverlayFindsTheBaseByAbsolutePath()
      throws IOException {
    makeBase(6, 14);
    byte[] data = "moved together".getBytes();
    try (OverlayImage img = OverlayImage.create(overlayDir(), basePath, base)) {
      img.write(1000, ByteBuffer.wrap(data));
    }
    base.close();
    // The overlay alone, elsewhere: the relative path misses, the absolute one finds the base.
    Path alone = Files.createDirectories(tmp.resolve("elsewhere/deeper")).resolve("work");
    Files.move(overlayDir(), alone);
    try (OverlayImage img = OverlayImage.open(alone, Bases.opener())) {
      assertEquals(basePath.toAbsolutePath().normalize(), img.basePath());
      assertRead(img, 1000, data);
    }
    // Both, into a new directory: found through the relative path although the old one is gone.
    Path moved = Files.createDirectories(tmp.resolve("moved"));
    Files.move(alone, moved.resolve("work"));
    Files.move(basePath, moved.resolve("base.cairn"));
    try (OverlayImage img = OverlayImage.open(moved.resolve("work"), Bases.opener())) {
      assertEquals(moved.resolve("base.cairn").toAbsolutePath().normalize(), img.basePath());
      assertRead(img, 1000, data);
    }
  }

  private static void assertRead(OverlayImage img, long off, byte[] want) throws IOException {
    ByteBuffer b = ByteBuffer.allocate(want.length);
    assertEquals(want.length, img.read(off, b));
    assertArrayEquals(want, b.array());
  }

  @Test
  void createRefusesForeignOrExistingDirectoriesAndRecoversAnInterruptedCreate()
      throws IOException {
    makeBase(7, 14);
    try {
      Path foreign = Files.createDirectories(tmp.resolve("foreign"));
      Files.writeString(foreign.resolve("notes.txt"), "mine");
      assertThrows(
          DirectoryNotEmptyException.class, () -> OverlayImage.create(foreign, basePath, base));
      assertEquals(List.of("notes.txt"), names(foreign));
      OverlayImage.create(overlayDir(), basePath, base).close();
      assertThrows(
          FileAlreadyExistsException.class,
          () -> OverlayImage.create(overlayDir(), basePath, base));
      assertTrue(OverlayImage.isOverlay(overlayDir()));
      assertFalse(OverlayImage.isOverlay(foreign));
      assertThrows(NoSuchFileException.class, () -> OverlayImage.open(foreign, Bases.opener()));
      // A create that died before writing its config leaves store files but no config.
      Path half = Files.createDirectories(tmp.resolve("half"));
      Files.write(half.resolve("spill.0"), new byte[10]);
      Files.write(half.resolve("manifest.tmp"), new byte[10]);
      Files.write(half.resolve("lock"), new byte[0]);
      try (OverlayImage img = OverlayImage.create(half, basePath, base)) {
        assertEquals(BASE_SIZE, img.size());
      }
    } finally {
      base.close();
    }
  }

  @Test
  void readOnlyOpenReadsButNeitherWritesNorChangesFiles() throws IOException {
    makeBase(8, 14);
    byte[] data = new byte[5000];
    Arrays.fill(data, (byte) 7);
    try (OverlayImage img = OverlayImage.create(overlayDir(), basePath, base)) {
      img.write(100, ByteBuffer.wrap(data));
    }
    base.close();
    Map<String, byte[]> before = files(overlayDir());
    try (OverlayImage img = OverlayImage.openReadOnly(overlayDir(), Bases.opener())) {
      assertTrue(img.isReadOnly());
      assertRead(img, 100, data);
      assertThrows(IllegalStateException.class, () -> img.write(0, ByteBuffer.allocate(1)));
      assertThrows(IllegalStateException.class, () -> img.truncate(BASE_SIZE + 1L));
      try (OverlayView v = img.view()) {
        assertTrue(v.isBlockChanged(0, 4096));
        assertFalse(v.isBlockChanged(10, 4096));
      }
    }
    Map<String, byte[]> after = files(overlayDir());
    before.remove("lock");
    after.remove("lock");
    assertEquals(before.keySet(), after.keySet());
    before.forEach((k, v) -> assertArrayEquals(v, after.get(k), k));
  }

  @Test
  void viewIsConsistentAndReportsChangedBlocks() throws IOException {
    makeBase(9, 16);
    OverlayModel model = new OverlayModel(baseBytes);
    try (OverlayImage img = OverlayImage.create(overlayDir(), basePath, base)) {
      byte[] a = new byte[10];
      Arrays.fill(a, (byte) 0x11);
      img.write(70_000, ByteBuffer.wrap(a)); // block 1 of 64 KiB
      model.write(70_000, a);
      img.write(200_000, ByteBuffer.wrap(a)); // block 3
      model.write(200_000, a);
      OverlayModel frozen = model.copy();
      try (OverlayView v = img.view()) {
        assertFalse(img.compact(), "no compaction while a view is open");
        img.write(0, ByteBuffer.wrap(a)); // after the view: block 0, not in it
        img.truncate(BASE_SIZE + 70_000L);
        assertEquals(BASE_SIZE, v.size());
        frozen.checkAll(v::read, "view");
        assertArrayEquals(new long[] {1, 3}, v.changedBlocks(65536));
        for (long b = 0; b < 5; b++) {
          assertEquals(b == 1 || b == 3, v.isBlockChanged(b, 65536), "block " + b);
        }
        // In 4 KiB blocks.
        assertArrayEquals(new long[] {17, 48}, v.changedBlocks(4096));
        ByteBuffer block = ByteBuffer.allocate(65536);
        assertEquals(BASE_SIZE - 4 * 65536, v.readBlock(4, 65536, block));
        assertArrayEquals(
            Arrays.copyOfRange(baseBytes, 4 * 65536, BASE_SIZE),
            Arrays.copyOf(block.array(), BASE_SIZE - 4 * 65536));
      }
      // Live: block 0 changed now; the grown image makes block 4 (the base's short last block)
      // and the new block 5 changed too.
      for (long b = 0; b < 6; b++) {
        assertEquals(b != 2, img.isBlockChanged(b, 65536), "live block " + b);
      }
      try (OverlayView v = img.view()) {
        assertArrayEquals(new long[] {0, 1, 3, 4, 5}, v.changedBlocks(65536));
        ByteBuffer block = ByteBuffer.allocate(65536);
        assertEquals(BASE_SIZE + 70_000 - 5 * 65536, img.readBlock(5, 65536, block));
        assertArrayEquals(
            new byte[BASE_SIZE + 70_000 - 5 * 65536],
            Arrays.copyOf(block.array(), BASE_SIZE + 70_000 - 5 * 65536));
      }
    } finally {
      base.close();
    }
  }

  @Test
  void concurrentPartialWritesIntoSharedChunksLoseNothing() throws Exception {
    makeBase(10, 14);
    int threads = 8;
    int piece = 512; // eight threads share every 4 KiB chunk
    int chunks = 60;
    ExecutorService pool = Executors.newFixedThreadPool(threads + 2);
    try (OverlayImage img = OverlayImage.create(overlayDir(), basePath, base)) {
      List<Future<?>> fs = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        int thread = t;
        fs.add(
            pool.submit(
                () -> {
                  byte[] mine = new byte[piece];
                  Arrays.fill(mine, (byte) (thread + 1));
                  for (int round = 0; round < 20; round++) {
                    for (int c = 0; c < chunks; c++) {
                      img.write((long) c * 4096 + thread * piece, ByteBuffer.wrap(mine));
                    }
                    if (round % 7 == thread % 7) {
                      img.fsync();
                    }
                  }
                  return null;
                }));
      }
      for (int t = 0; t < 2; t++) {
        fs.add(
            pool.submit(
                () -> {
                  ByteBuffer b = ByteBuffer.allocateDirect(10_000);
                  for (int i = 0; i < 2000; i++) {
                    b.clear();
                    img.read((i * 7919L) % BASE_SIZE, b);
                  }
                  return null;
                }));
      }
      for (Future<?> f : fs) {
        f.get();
      }
      for (int c = 0; c < chunks; c++) {
        ByteBuffer b = ByteBuffer.allocate(4096);
        img.read((long) c * 4096, b);
        for (int i = 0; i < 4096; i++) {
          assertEquals(i / piece + 1, b.get(i), "chunk " + c + " byte " + i);
        }
      }
    } finally {
      pool.shutdown();
      base.close();
    }
  }

  @Test
  void statsCountWritesFsyncsAndDirtyBytes() throws IOException {
    makeBase(11, 14);
    try (OverlayImage img = OverlayImage.create(overlayDir(), basePath, base)) {
      img.write(0, ByteBuffer.allocate(10_000));
      Map<String, Object> s = img.stats();
      assertEquals(10_000L, s.get("dirtyBytes"));
      assertEquals(0L, s.get("fsyncCount"));
      assertEquals((long) BASE_SIZE, s.get("size"));
      img.fsync();
      s = img.stats();
      assertEquals(0L, s.get("dirtyBytes"));
      assertEquals(1L, s.get("fsyncCount"));
      assertTrue((Long) s.get("overlayBytes") > 0);
      assertEquals(base.header().snapshotId().toString(), s.get("baseId"));
      assertTrue(s.containsKey("storedChunks") && s.containsKey("garbageRatio"));
    } finally {
      base.close();
    }
  }

  @Test
  void compactionReclaimsOverwrittenChunksAndKeepsData() throws IOException {
    makeBase(12, 14);
    OverlayModel model = new OverlayModel(baseBytes);
    try (OverlayImage img = OverlayImage.create(overlayDir(), basePath, base)) {
      Random r = new Random(12);
      for (int round = 0; round < 30; round++) {
        byte[] data = new byte[100_000];
        r.nextBytes(data);
        img.write(1000, ByteBuffer.wrap(data));
        model.write(1000, data);
        img.fsync();
      }
      long before = (Long) img.stats().get("overlayBytes");
      assertTrue(img.compact());
      long after = (Long) img.stats().get("overlayBytes");
      assertTrue(after < before / 10, after + " vs " + before);
      model.checkAll(img::read, "compacted");
    }
    try (OverlayImage img = OverlayImage.open(overlayDir(), basePath, base)) {
      model.checkAll(img::read, "reopened");
    } finally {
      base.close();
    }
  }

  private static List<String> names(Path dir) throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  private static Map<String, byte[]> files(Path dir) throws IOException {
    Map<String, byte[]> m = new HashMap<>();
    for (String n : names(dir)) {
      m.put(n, Files.readAllBytes(dir.resolve(n)));
    }
    return m;
  }
}
