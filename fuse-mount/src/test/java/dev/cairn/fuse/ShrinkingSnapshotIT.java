package dev.cairn.fuse;

import static dev.cairn.fuse.MountSupport.cairn;
import static dev.cairn.fuse.MountSupport.cleanUp;
import static dev.cairn.fuse.MountSupport.mount;
import static dev.cairn.fuse.MountSupport.run;
import static dev.cairn.fuse.MountSupport.umount;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The snapshot file is truncated or overwritten under a live reader (issue 10): the affected reads
 * fail with EIO, the serving process stays up and says why in its log, and {@code cairn verify}
 * fails with one line; nothing dies of {@code SIGBUS}.
 */
class ShrinkingSnapshotIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String CHANGED = "file changed by another process while open";

  @TempDir Path dir;
  Path mnt;
  Path fs;
  Path snap;
  byte[] data;

  @BeforeEach
  void pack() throws Exception {
    MountSupport.requireFuse();
    data = new byte[24 << 20];
    new Random(31).nextBytes(data);
    Path in = Files.write(dir.resolve("disk.img"), data);
    snap = dir.resolve("snap.cairn");
    cairn("pack", in.toString(), "-o", snap.toString()).ok();
    Files.delete(in);
    mnt = Files.createDirectory(dir.resolve("mnt"));
  }

  @AfterEach
  void tearDown() {
    cleanUp(mnt, fs == null ? new Path[0] : new Path[] {fs});
  }

  @Test
  void truncateUnderAReaderGivesEioAndTheMountStaysUp() throws Exception {
    mount(snap, mnt, "--cache-size", "4M");
    Path virtual = mnt.resolve("disk.img");
    try (Reader r = new Reader(virtual)) {
      r.awaitPasses(2);
      // coreutils truncate does not wait for the lease: the first try fails, the file intact
      MountSupport.Run first = run("truncate", "-s", "1M", snap.toString());
      if (first.exit() != 0) {
        assertEquals(
            "truncate: cannot open '" + snap + "' for writing: Resource temporarily unavailable",
            first.err().strip());
        awaitLeaseGone();
        run("truncate", "-s", "1M", snap.toString()).ok();
      }
      assertEquals(1 << 20, Files.size(snap));
      r.awaitFailure();
    }
    assertReadsFailAndServerLives(virtual);
    umount(mnt);
  }

  @Test
  void cpOverTheSnapshotGivesEioAndTheMountStaysUp() throws Exception {
    Path other = dir.resolve("other.cairn");
    byte[] otherData = new byte[24 << 20];
    new Random(32).nextBytes(otherData);
    Path in = Files.write(dir.resolve("other.img"), otherData);
    cairn("pack", in.toString(), "-o", other.toString()).ok();
    mount(snap, mnt, "--cache-size", "4M");
    Path virtual = mnt.resolve("disk.img");
    try (Reader r = new Reader(virtual)) {
      r.awaitPasses(2);
      // cp opens with O_TRUNC and waits for the lease; the mapping is given up within a poll
      MountSupport.Run cp = run("cp", other.toString(), snap.toString()).ok();
      assertTrue(cp.millis() < 5000, "cp took " + cp.millis() + " ms");
      assertEquals(Files.size(other), Files.size(snap));
      r.awaitFailure();
    }
    assertReadsFailAndServerLives(virtual);
    umount(mnt);
  }

  @Test
  void ext4OnTopSeesIoErrorsAndEverythingUnmounts() throws Exception {
    Path tree = Files.createDirectories(dir.resolve("tree"));
    byte[] big = Arrays.copyOf(data, 12 << 20);
    Files.write(tree.resolve("big.bin"), big);
    Path img = dir.resolve("fs.img");
    run("mkfs.ext4", "-q", "-F", "-d", tree.toString(), img.toString(), "20M").ok();
    Path fsSnap = dir.resolve("fs.cairn");
    cairn("pack", img.toString(), "-o", fsSnap.toString()).ok();
    mount(fsSnap, mnt, "--cache-size", "4M");
    Path virtual = mnt.resolve("fs.img");
    fs = Files.createDirectory(dir.resolve("fs"));
    run("mount", "-o", "loop,ro", virtual.toString(), fs.toString()).ok();
    assertArrayEquals(big, Files.readAllBytes(fs.resolve("big.bin")));

    try (FileChannel w = FileChannel.open(fsSnap, java.nio.file.StandardOpenOption.WRITE)) {
      // this open waited for the lease; the serving process now reads without its mapping
      w.truncate(1 << 20);
    }
    Files.writeString(Path.of("/proc/sys/vm/drop_caches"), "3");
    IOException e =
        assertThrows(IOException.class, () -> Files.readAllBytes(fs.resolve("big.bin")));
    assertTrue(String.valueOf(e.getMessage()).contains("Input/output error"), e.toString());
    assertServerLives(fsSnap);

    run("umount", fs.toString()).ok();
    fs = null;
    for (int i = 0; i < 250 && !run("losetup", "-j", virtual.toString()).out().isBlank(); i++) {
      Thread.sleep(20);
    }
    assertEquals("", run("losetup", "-j", virtual.toString()).out(), "loop device left behind");
    umount(mnt);
  }

  @Test
  void verifyOfAFileThatShrinksWhileItRunsExitsOneWithOneLine() throws Exception {
    byte[] more = new byte[160 << 20];
    new Random(33).nextBytes(more);
    Path in = Files.write(dir.resolve("big.img"), more);
    Path big = dir.resolve("big.cairn");
    cairn("pack", in.toString(), "-o", big.toString()).ok();
    Files.delete(in);
    Path work = Files.createDirectory(dir.resolve("cwd"));
    List<String> cmd =
        List.of(
            Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "-XX:TieredStopAtLevel=1",
            "-jar",
            MountSupport.jar().toString(),
            "verify",
            big.toString());
    Process p =
        new ProcessBuilder(cmd)
            .directory(work.toFile())
            .redirectOutput(dir.resolve("verify.out").toFile())
            .redirectError(dir.resolve("verify.err").toFile())
            .start();
    try {
      // wait until verify holds its lease (it has opened the snapshot), then cut the file
      String inode = inodeOf(big);
      long deadline = System.nanoTime() + 30_000_000_000L;
      while (!Files.readString(Path.of("/proc/locks")).contains(":" + inode + " ")) {
        assertTrue(p.isAlive() && System.nanoTime() < deadline, "verify never leased the file");
        Thread.sleep(2);
      }
      try (FileChannel w = FileChannel.open(big, java.nio.file.StandardOpenOption.WRITE)) {
        w.truncate(8 << 20);
      }
      assertTrue(p.waitFor(60, java.util.concurrent.TimeUnit.SECONDS), "verify did not finish");
    } finally {
      p.destroyForcibly();
    }
    String err = Files.readString(dir.resolve("verify.err"));
    assertEquals(1, p.exitValue(), err);
    assertEquals("cairn: " + big + ": " + CHANGED + "\n", err);
    try (Stream<Path> s = Files.list(work)) {
      assertEquals(List.of(), s.toList(), "no hs_err file");
    }
  }

  private String inodeOf(Path p) throws IOException {
    Object key = Files.readAttributes(p, BasicFileAttributes.class).fileKey();
    // "(dev=803,ino=1234)"
    String k = String.valueOf(key);
    return k.substring(k.indexOf("ino=") + 4, k.length() - 1);
  }

  /** Waits until no process holds a lease on the snapshot any more. */
  private void awaitLeaseGone() throws Exception {
    String inode = inodeOf(snap);
    long deadline = System.nanoTime() + 5_000_000_000L;
    while (Files.readString(Path.of("/proc/locks")).contains(":" + inode + " ")) {
      assertTrue(System.nanoTime() < deadline, "the serving process kept its lease");
      Thread.sleep(5);
    }
  }

  private void assertReadsFailAndServerLives(Path virtual) throws Exception {
    Files.writeString(Path.of("/proc/sys/vm/drop_caches"), "3");
    try (FileChannel ch = FileChannel.open(virtual)) {
      for (long at : new long[] {0, 12 << 20, data.length - 4096}) {
        IOException e =
            assertThrows(IOException.class, () -> ch.read(ByteBuffer.allocate(4096), at));
        assertTrue(String.valueOf(e.getMessage()).contains("Input/output error"), at + ": " + e);
      }
    }
    assertServerLives(snap);
  }

  private void assertServerLives(Path snapshot) throws Exception {
    JsonNode st = JSON.readTree(Files.readAllBytes(mnt.resolve(".cairn/stats.json")));
    assertTrue(st.get("errors").asLong() >= 1, st.toString());
    assertTrue(MountTable.find(mnt.toRealPath()).isPresent(), "mount stays up");
    assertFalse(MountSupport.servers(mnt).isEmpty(), "serving process alive");
    String log = Files.readString(Path.of(st.get("mount").get("log_file").asText()));
    assertFalse(log.contains("SIGBUS") || log.contains("fatal error"), log);
    List<String> warn = log.lines().filter(l -> l.contains(" WARN ")).toList();
    assertFalse(warn.isEmpty(), log);
    for (String l : warn) {
      assertTrue(l.contains("EIO") && l.contains(snapshot + ": " + CHANGED), l);
    }
  }

  /** Reads the whole virtual file over and over on a thread until a read fails. */
  private static final class Reader implements AutoCloseable {
    final AtomicLong passes = new AtomicLong();
    final AtomicBoolean failed = new AtomicBoolean();
    final Thread thread;

    Reader(Path file) {
      thread =
          new Thread(
              () -> {
                ByteBuffer b = ByteBuffer.allocateDirect(1 << 20);
                try (FileChannel ch = FileChannel.open(file)) {
                  while (!Thread.currentThread().isInterrupted()) {
                    for (long at = 0; at < ch.size(); at += b.capacity()) {
                      ch.read(b.clear(), at);
                    }
                    passes.incrementAndGet();
                    Files.writeString(Path.of("/proc/sys/vm/drop_caches"), "1");
                  }
                } catch (IOException e) {
                  failed.set(true);
                }
              },
              "mount-reader");
      thread.start();
    }

    void awaitPasses(long n) throws InterruptedException {
      long deadline = System.nanoTime() + 60_000_000_000L;
      while (passes.get() < n) {
        assertTrue(thread.isAlive() && System.nanoTime() < deadline, "reader made no progress");
        Thread.sleep(5);
      }
    }

    void awaitFailure() throws InterruptedException {
      thread.join(30_000);
      assertTrue(failed.get(), "the reader saw no error after the snapshot changed");
    }

    @Override
    public void close() throws InterruptedException {
      thread.interrupt();
      thread.join(10_000);
    }
  }
}
