package dev.cairn.fuse;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cairn.format.BlockEntry;
import dev.cairn.format.BlockKind;
import dev.cairn.read.BlockCache;
import dev.cairn.read.ReadStats;
import dev.cairn.read.Snapshot;
import dev.cairn.source.FileByteSource;
import dev.cairn.write.Pack;
import dev.cairn.write.WriterOptions;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import ru.serce.jnrfuse.ErrorCodes;
import ru.serce.jnrfuse.struct.FileStat;
import ru.serce.jnrfuse.struct.FuseFileInfo;
import ru.serce.jnrfuse.struct.Statvfs;

/** The file system's callbacks, called directly with native structs (no kernel mount). */
class CairnFsTest {
  private static final jnr.ffi.Runtime RT = jnr.ffi.Runtime.getSystemRuntime();
  private static final int BLOCK = 4096;

  @TempDir Path tmp;

  private byte[] primary;
  private byte[] secondary;
  private Path snap;
  private Snapshot snapshot;
  private ReadStats stats;
  private CairnFs fs;

  @BeforeEach
  void setUp() throws Exception {
    Random rnd = new Random(42);
    primary = new byte[10 * BLOCK + 123];
    rnd.nextBytes(primary);
    java.util.Arrays.fill(primary, 3 * BLOCK, 5 * BLOCK, (byte) 0); // zero blocks
    secondary = "hello, cairn\n".repeat(500).getBytes(StandardCharsets.UTF_8);
    Path a = Files.write(tmp.resolve("disk.img"), primary);
    Path b = Files.write(tmp.resolve("notes.txt"), secondary);
    snap = tmp.resolve("s.cairn");
    Pack.run(
        List.of(new Pack.Input(a, "disk.img"), new Pack.Input(b, "notes.txt")),
        snap,
        WriterOptions.defaults().withBlockSizeLog2(12),
        n -> {});
    open();
  }

  private void open() throws Exception {
    if (snapshot != null) {
      snapshot.close();
    }
    stats = new ReadStats();
    BlockCache cache = BlockCache.withCapacity(1 << 20);
    snapshot = Snapshot.open(FileByteSource.open(snap), cache, stats);
    MountInfo info =
        new MountInfo(snap.toString(), "id", Path.of("/mnt/x"), null, 1, 1 << 20, Instant.now());
    fs =
        new CairnFs(
            snapshot,
            new MountAccess(1234, 5678, 0644),
            () ->
                StatsReport.render(
                    StatsReport.build(stats.snapshot(), 0, info, List.of(), Instant.now())));
  }

  @AfterEach
  void tearDown() throws Exception {
    snapshot.close();
  }

  private static FileStat stat() {
    return FileStat.of(Memory.allocateDirect(RT, 512, true));
  }

  private static FuseFileInfo fileInfo(int flags) {
    FuseFileInfo fi = FuseFileInfo.of(Memory.allocateDirect(RT, 64, true));
    fi.flags.set(flags);
    return fi;
  }

  private byte[] read(String path, long offset, int size, FuseFileInfo fi) {
    Pointer buf = Memory.allocateDirect(RT, Math.max(size, 1), true);
    int n = fs.read(path, buf, size, offset, fi);
    if (n < 0) {
      return null;
    }
    byte[] out = new byte[n];
    buf.get(0, out, 0, n);
    return out;
  }

  @Test
  void getattrOfFilesAndDirectories() {
    FileStat st = stat();
    assertEquals(0, fs.getattr("/disk.img", st));
    assertEquals(FileStat.S_IFREG | 0444, st.st_mode.intValue());
    assertEquals(primary.length, st.st_size.longValue());
    assertEquals(1, st.st_nlink.intValue());
    assertEquals(1234, st.st_uid.longValue());
    assertEquals(5678, st.st_gid.longValue());
    assertEquals((primary.length + 511) / 512, st.st_blocks.longValue());
    assertEquals(snapshot.header().createdMillis() / 1000, st.st_mtim.tv_sec.longValue());
    assertEquals(snapshot.header().createdMillis() / 1000, st.st_ctim.tv_sec.longValue());
    assertEquals(snapshot.header().createdMillis() / 1000, st.st_atim.tv_sec.longValue());

    st = stat();
    assertEquals(0, fs.getattr("/notes.txt", st));
    assertEquals(secondary.length, st.st_size.longValue());

    st = stat();
    assertEquals(0, fs.getattr("/", st));
    assertEquals(FileStat.S_IFDIR | 0555, st.st_mode.intValue());
    st = stat();
    assertEquals(0, fs.getattr("/.cairn", st));
    assertEquals(FileStat.S_IFDIR | 0555, st.st_mode.intValue());
    st = stat();
    assertEquals(0, fs.getattr("/.cairn/stats.json", st));
    assertEquals(FileStat.S_IFREG | 0444, st.st_mode.intValue());
    assertTrue(st.st_size.longValue() > 10);

    assertEquals(-ErrorCodes.ENOENT(), fs.getattr("/nope", stat()));
    assertEquals(-ErrorCodes.ENOENT(), fs.getattr("/.cairn/nope", stat()));
    assertEquals(-ErrorCodes.ENOENT(), fs.getattr("/disk.img/x", stat()));
  }

  @Test
  void ownerGroupAndModesComeFromTheAccess() {
    CairnFs fs0600 = new CairnFs(snapshot, new MountAccess(0, 0, 0600), () -> new byte[] {'{'});
    FileStat st = stat();
    assertEquals(0, fs0600.getattr("/disk.img", st));
    assertEquals(FileStat.S_IFREG | 0400, st.st_mode.intValue());
    assertEquals(0, st.st_uid.longValue());
    assertEquals(0, fs0600.getattr("/notes.txt", st = stat()));
    assertEquals(FileStat.S_IFREG | 0400, st.st_mode.intValue());
    assertEquals(0, fs0600.getattr("/", st = stat()));
    assertEquals(FileStat.S_IFDIR | 0500, st.st_mode.intValue());
    assertEquals(0, fs0600.getattr("/.cairn", st = stat()));
    assertEquals(FileStat.S_IFDIR | 0500, st.st_mode.intValue());
    assertEquals(0, fs0600.getattr("/.cairn/stats.json", st = stat()));
    assertEquals(FileStat.S_IFREG | 0400, st.st_mode.intValue());

    CairnFs shared = new CairnFs(snapshot, new MountAccess(7, 8, 0640), () -> new byte[] {'{'});
    assertEquals(0, shared.getattr("/", st = stat()));
    assertEquals(FileStat.S_IFDIR | 0550, st.st_mode.intValue());
    assertEquals(0, shared.getattr("/disk.img", st = stat()));
    assertEquals(FileStat.S_IFREG | 0440, st.st_mode.intValue());
    assertEquals(7, st.st_uid.longValue());
    assertEquals(8, st.st_gid.longValue());
  }

  @Test
  void accessOfASnapshotFileTakesItsOwnerGroupAndReadBits() throws Exception {
    Files.setPosixFilePermissions(
        snap, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r-----"));
    MountAccess a = MountAccess.ofFile(snap);
    assertEquals(Files.getAttribute(snap, "unix:uid"), (int) a.uid());
    assertEquals(Files.getAttribute(snap, "unix:gid"), (int) a.gid());
    assertEquals(0440, a.readOnlyMode());
    assertEquals(0640, a.writableMode());
    assertEquals(0550, a.directoryMode());
    assertEquals(0400, MountAccess.remote(5, 6).readOnlyMode());
    assertEquals(new MountAccess(9, 6, 0644), MountAccess.remote(5, 6).with(9L, null, 0644));
  }

  @Test
  void readdirListsDotsStreamsAndMetaDir() {
    assertEquals(List.of(".", "..", "disk.img", "notes.txt", ".cairn"), list("/"));
    assertEquals(List.of(".", "..", "stats.json"), list("/.cairn"));
    assertEquals(-ErrorCodes.ENOENT(), fs.readdir("/x", null, (b, n, s, o) -> 0, 0, fileInfo(0)));
    assertEquals(
        -ErrorCodes.ENOTDIR(), fs.readdir("/disk.img", null, (b, n, s, o) -> 0, 0, fileInfo(0)));
  }

  @Test
  void nothingBeforeAttach() {
    CairnFs empty = new CairnFs();
    assertEquals(-ErrorCodes.ENOENT(), empty.getattr("/", stat()));
    assertEquals(-ErrorCodes.ENOENT(), empty.open("/disk.img", fileInfo(0)));
    empty.attach(snapshot, null, new MountAccess(0, 0, 0644), () -> new byte[0]);
    assertEquals(0, empty.getattr("/", stat()));
    org.junit.jupiter.api.Assertions.assertThrows(
        IllegalStateException.class,
        () -> empty.attach(snapshot, null, new MountAccess(0, 0, 0644), () -> new byte[0]));
  }

  private List<String> list(String dir) {
    List<String> names = new ArrayList<>();
    int rc =
        fs.readdir(
            dir,
            null,
            (buf, name, st, off) -> {
              ByteBuffer b = name.duplicate();
              byte[] all = new byte[b.remaining()];
              b.get(all);
              int end = 0;
              while (end < all.length && all[end] != 0) {
                end++;
              }
              assertTrue(end < all.length, "name is NUL-terminated");
              names.add(new String(all, 0, end, StandardCharsets.UTF_8));
              return 0;
            },
            0,
            fileInfo(0));
    assertEquals(0, rc);
    return names;
  }

  @Test
  void openRejectsWritesAndSetsCacheBits() {
    assertEquals(-ErrorCodes.EROFS(), fs.open("/disk.img", fileInfo(1))); // O_WRONLY
    assertEquals(-ErrorCodes.EROFS(), fs.open("/disk.img", fileInfo(2))); // O_RDWR
    assertEquals(-ErrorCodes.ENOENT(), fs.open("/nope", fileInfo(0)));
    assertEquals(-ErrorCodes.EISDIR(), fs.open("/.cairn", fileInfo(0)));

    FuseFileInfo fi = fileInfo(0);
    assertEquals(0, fs.open("/disk.img", fi));
    Pointer m = jnr.ffi.Struct.getMemory(fi);
    assertEquals(CairnFs.FLAG_KEEP_CACHE, m.getByte(CairnFs.FILE_INFO_FLAGS_OFFSET));

    FuseFileInfo si = fileInfo(0);
    assertEquals(0, fs.open("/.cairn/stats.json", si));
    Pointer sm = jnr.ffi.Struct.getMemory(si);
    assertEquals(CairnFs.FLAG_DIRECT_IO, sm.getByte(CairnFs.FILE_INFO_FLAGS_OFFSET));
    assertEquals(1, fs.openStatsHandles());
    assertEquals(0, fs.release("/.cairn/stats.json", si));
    assertEquals(0, fs.openStatsHandles());
  }

  @Test
  void readsAnyOffsetAndLength() {
    FuseFileInfo fi = fileInfo(0);
    fs.open("/disk.img", fi);
    Random rnd = new Random(7);
    for (int i = 0; i < 300; i++) {
      long off = rnd.nextInt(primary.length + 100);
      int len = rnd.nextInt(3 * BLOCK);
      byte[] got = read("/disk.img", off, len, fi);
      int want = (int) Math.max(0, Math.min(len, primary.length - off));
      assertEquals(want, got.length, "read at " + off + "+" + len);
      byte[] exp =
          java.util.Arrays.copyOfRange(
              primary,
              (int) Math.min(off, primary.length),
              (int) Math.min(off, primary.length) + want);
      assertArrayEquals(exp, got);
    }
    assertArrayEquals(primary, read("/disk.img", 0, primary.length + 4096, fi));
    assertEquals(0, read("/disk.img", primary.length, 4096, fi).length);
    assertEquals(0, read("/disk.img", 1L << 40, 4096, fi).length);
    assertArrayEquals(secondary, read("/notes.txt", 0, 1 << 20, fi));
  }

  @Test
  void statsJsonIsFrozenPerOpenAndCountsReads() throws Exception {
    FuseFileInfo fi = fileInfo(0);
    fs.open("/disk.img", fi);
    read("/disk.img", 0, 100, fi);
    FuseFileInfo si = fileInfo(0);
    fs.open("/.cairn/stats.json", si);
    read("/disk.img", 0, 100, fi);
    byte[] first = read("/.cairn/stats.json", 0, 10, si);
    byte[] rest = read("/.cairn/stats.json", 10, 1 << 20, si);
    assertEquals(0, read("/.cairn/stats.json", 1 << 20, 10, si).length);
    byte[] all = new byte[first.length + rest.length];
    System.arraycopy(first, 0, all, 0, first.length);
    System.arraycopy(rest, 0, all, first.length, rest.length);
    JsonNode n = new ObjectMapper().readTree(all);
    assertEquals(1, n.get("reads").asLong(), "content fixed at open()");
    fs.release("/.cairn/stats.json", si);
  }

  @Test
  void corruptBlockGivesEioAndOnlyThere() throws Exception {
    long bad = 7;
    BlockEntry e = snapshot.stream(0).entry(bad);
    assertTrue(e.kind() == BlockKind.COMPRESSED || e.kind() == BlockKind.RAW);
    try (FileChannel ch =
        FileChannel.open(snap, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
      ByteBuffer one = ByteBuffer.allocate(1);
      long at = e.offset() + e.storedLength() / 2;
      ch.read(one, at);
      one.put(0, (byte) (one.get(0) ^ 0x40)).rewind();
      ch.write(one, at);
    }
    open();
    FuseFileInfo fi = fileInfo(0);
    fs.open("/disk.img", fi);
    assertEquals(null, read("/disk.img", bad * BLOCK + 10, 100, fi));
    assertEquals(null, read("/disk.img", (bad - 1) * BLOCK, 2 * BLOCK, fi), "spans the bad block");
    assertEquals(2, stats.snapshot().errors());
    byte[] ok = read("/disk.img", (bad - 1) * BLOCK, BLOCK, fi);
    assertArrayEquals(
        java.util.Arrays.copyOfRange(primary, (int) (bad - 1) * BLOCK, (int) bad * BLOCK), ok);
    ok = read("/disk.img", (bad + 1) * BLOCK, BLOCK, fi);
    assertArrayEquals(
        java.util.Arrays.copyOfRange(primary, (int) (bad + 1) * BLOCK, (int) (bad + 2) * BLOCK),
        ok);
    assertEquals(2, stats.snapshot().errors());
  }

  @Test
  void concurrentReadsAgree() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      List<Future<?>> fs4 = new ArrayList<>();
      for (int t = 0; t < 4; t++) {
        long seed = t;
        fs4.add(
            pool.submit(
                () -> {
                  Random rnd = new Random(seed);
                  FuseFileInfo fi = fileInfo(0);
                  for (int i = 0; i < 200; i++) {
                    int off = rnd.nextInt(primary.length);
                    int len = 1 + rnd.nextInt(2 * BLOCK);
                    byte[] got = read("/disk.img", off, len, fi);
                    int want = Math.min(len, primary.length - off);
                    assertArrayEquals(java.util.Arrays.copyOfRange(primary, off, off + want), got);
                  }
                  return null;
                }));
      }
      for (Future<?> f : fs4) {
        f.get();
      }
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void statfsReportsTotalSizeAndNoFreeSpace() {
    Statvfs st = Statvfs.of(Memory.allocateDirect(RT, 512, true));
    assertEquals(0, fs.statfs("/", st));
    assertEquals(BLOCK, st.f_bsize.longValue());
    assertEquals(BLOCK, st.f_frsize.longValue());
    assertEquals((primary.length + secondary.length + BLOCK - 1) / BLOCK, st.f_blocks.longValue());
    assertEquals(0, st.f_bfree.longValue());
    assertEquals(0, st.f_bavail.longValue());
    assertEquals(5, st.f_files.longValue());
  }
}
