package dev.cairn.fuse;

import static dev.cairn.fuse.MountSupport.cairn;
import static dev.cairn.fuse.MountSupport.cleanUp;
import static dev.cairn.fuse.MountSupport.mount;
import static dev.cairn.fuse.MountSupport.umount;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cairn.format.BlockEntry;
import dev.cairn.format.BlockKind;
import dev.cairn.read.BlockCache;
import dev.cairn.read.ReadStats;
import dev.cairn.read.Snapshot;
import dev.cairn.source.FileByteSource;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A flipped byte inside one data block: EIO there, correct bytes everywhere else. */
class CorruptMountIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int BLOCK = 64 << 10;
  private static final long BAD = 5;

  @TempDir Path dir;
  Path mnt;
  byte[] data;
  Path snap;

  @BeforeEach
  void packAndCorrupt() throws Exception {
    MountSupport.requireFuse();
    data = new byte[16 * BLOCK + 999];
    new Random(9).nextBytes(data);
    Path in = Files.write(dir.resolve("disk.img"), data);
    snap = dir.resolve("bad.cairn");
    cairn("pack", in.toString(), "-o", snap.toString(), "--block-size", "64K").ok();
    BlockEntry e;
    try (Snapshot s =
        Snapshot.open(
            FileByteSource.open(snap), BlockCache.withCapacity(1 << 20), new ReadStats())) {
      e = s.stream(0).entry(BAD);
    }
    assertTrue(e.kind() == BlockKind.COMPRESSED || e.kind() == BlockKind.RAW, e.kind().toString());
    try (FileChannel ch =
        FileChannel.open(snap, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
      long at = e.offset() + e.storedLength() / 2;
      ByteBuffer one = ByteBuffer.allocate(1);
      ch.read(one, at);
      ch.write(ByteBuffer.wrap(new byte[] {(byte) (one.get(0) ^ 0x10)}), at);
    }
    mnt = Files.createDirectory(dir.resolve("mnt"));
  }

  @AfterEach
  void tearDown() {
    cleanUp(mnt);
  }

  private byte[] read(FileChannel ch, long off, int len) throws IOException {
    ByteBuffer b = ByteBuffer.allocate(len);
    while (b.hasRemaining()) {
      if (ch.read(b, off + b.position()) < 0) {
        break;
      }
    }
    return Arrays.copyOf(b.array(), b.position());
  }

  @Test
  void badBlockGivesEioOthersReadAndMountStaysUp() throws Exception {
    MountSupport.Run m = mount(snap, mnt);
    Path f = mnt.resolve("disk.img");
    try (FileChannel ch = FileChannel.open(f)) {
      IOException eio = assertThrows(IOException.class, () -> read(ch, BAD * BLOCK + 100, 1000));
      assertTrue(String.valueOf(eio.getMessage()).contains("Input/output error"), eio.toString());
      for (long b : List.of(0L, BAD - 1, BAD + 1, 15L, 16L)) {
        int len = (int) Math.min(BLOCK, data.length - b * BLOCK);
        assertArrayEquals(
            Arrays.copyOfRange(data, (int) (b * BLOCK), (int) (b * BLOCK) + len),
            read(ch, b * BLOCK, len),
            "block " + b);
      }
      // a read spanning the bad block fails as a whole; the block is still bad the second time
      assertThrows(IOException.class, () -> read(ch, (BAD - 1) * BLOCK, 3 * BLOCK));
      assertThrows(IOException.class, () -> read(ch, BAD * BLOCK, BLOCK));
    }
    JsonNode st = JSON.readTree(Files.readAllBytes(mnt.resolve(".cairn/stats.json")));
    assertTrue(st.get("errors").asLong() >= 1, st.toString());
    assertTrue(MountTable.find(mnt.toRealPath()).isPresent(), "mount stays up");

    String log = Files.readString(Path.of(st.get("mount").get("log_file").asText()));
    List<String> warn = log.lines().filter(l -> l.contains(" WARN ")).toList();
    assertTrue(!warn.isEmpty(), log);
    for (String l : warn) {
      assertTrue(
          l.contains(snap.toString())
              && l.contains("block " + BAD)
              && l.contains("disk.img")
              && l.contains("checksum"),
          l);
    }
    assertTrue(m.out().contains(Path.of(st.get("mount").get("log_file").asText()).toString()));
    umount(mnt);
  }

  @Test
  void aDamagedBlockReadInALoopKeepsTheLogSmall() throws Exception {
    MountSupport.Run m =
        MountSupport.cairn(
                java.util.Map.of("CAIRN_SERVER_JAVA_OPTS", "-Dcairn.log.repeatSeconds=2"),
                "mount",
                snap.toString(),
                mnt.toString())
            .ok();
    assertTrue(m.out().startsWith("mounted "), m.out());
    Path f = mnt.resolve("disk.img");
    int failures = 0;
    long end = System.nanoTime() + 5_000_000_000L;
    try (FileChannel ch = FileChannel.open(f)) {
      while (System.nanoTime() < end || failures < 500) {
        try {
          read(ch, BAD * BLOCK + 100, 1000);
        } catch (IOException e) {
          failures++;
        }
      }
    }
    JsonNode st = JSON.readTree(Files.readAllBytes(mnt.resolve(".cairn/stats.json")));
    assertTrue(st.get("errors").asLong() >= failures, failures + " failed reads: " + st);
    Path logFile = Path.of(st.get("mount").get("log_file").asText());
    umount(mnt); // the summary of the last repeats is written at unmount
    List<String> warn =
        Files.readString(logFile).lines().filter(l -> l.contains(" WARN ")).toList();
    String all = String.join("\n", warn);
    List<String> full = warn.stream().filter(l -> !l.contains("repeated ")).toList();
    assertEquals(1, full.size(), all);
    assertTrue(
        full.get(0).contains(snap.toString())
            && full.get(0).contains("disk.img")
            && full.get(0).contains("block " + BAD)
            && full.get(0).contains("checksum"),
        full.get(0));
    // one summary per 2 s window at most, plus the one at unmount
    assertTrue(warn.size() >= 2 && warn.size() <= 6, warn.size() + " lines:\n" + all);
    long counted = 0;
    for (String l : warn.subList(1, warn.size())) {
      java.util.regex.Matcher x =
          java.util.regex.Pattern.compile("repeated ([0-9,]+) times? in the last [0-9]+ s: ")
              .matcher(l);
      assertTrue(x.find(), l);
      assertTrue(l.contains(snap.toString()) && l.contains("block " + BAD), l);
      counted += Long.parseLong(x.group(1).replace(",", ""));
    }
    assertEquals(st.get("errors").asLong() - 1, counted, all);
  }

  @Test
  void verifyAgreesTheSnapshotIsDamaged() throws Exception {
    assertEquals(1, cairn("verify", snap.toString()).exit());
  }
}
