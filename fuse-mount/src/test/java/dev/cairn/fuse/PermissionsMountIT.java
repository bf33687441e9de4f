package dev.cairn.fuse;

import static dev.cairn.fuse.MountSupport.cairn;
import static dev.cairn.fuse.MountSupport.cleanUp;
import static dev.cairn.fuse.MountSupport.mount;
import static dev.cairn.fuse.MountSupport.run;
import static dev.cairn.fuse.MountSupport.umount;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Who can read and write the files of a mount, checked through the real kernel with a real
 * unprivileged user ({@code nobody}): a root-only snapshot stays root-only unless {@code --mode} or
 * {@code --uid} says otherwise, overlay files are private, and overlay writes move the mtime.
 */
class PermissionsMountIT {
  private static final long NOBODY = 65534;

  @TempDir Path dir;
  Path mnt;
  Path snap;
  byte[] data;

  @BeforeEach
  void packRootOnlySnapshot() throws Exception {
    MountSupport.requireFuse();
    // the way to the mount point is open to everyone: only the mount's own modes may stop nobody
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
    data = new byte[300_001];
    new Random(17).nextBytes(data);
    Path in = Files.write(dir.resolve("disk.img"), data);
    snap = dir.resolve("secret.cairn");
    cairn("pack", in.toString(), "-o", snap.toString(), "--block-size", "64K").ok();
    Files.setPosixFilePermissions(snap, PosixFilePermissions.fromString("rw-------"));
    mnt = Files.createDirectory(dir.resolve("mnt"));
    Files.setPosixFilePermissions(mnt, PosixFilePermissions.fromString("rwxr-xr-x"));
    assertEquals(NOBODY, id("nobody"), "the unprivileged user of these tests");
  }

  @AfterEach
  void tearDown() {
    cleanUp(mnt);
  }

  private static long id(String user) throws Exception {
    return Long.parseLong(run("id", "-u", user).ok().out().strip());
  }

  /** {@code cmd} run as nobody:nogroup with no supplementary groups. */
  private static MountSupport.Run asNobody(String... cmd) throws Exception {
    List<String> c =
        new ArrayList<>(
            List.of("setpriv", "--reuid=" + NOBODY, "--regid=" + NOBODY, "--clear-groups"));
    c.addAll(List.of(cmd));
    return run(c);
  }

  private static String sha256(byte[] b) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
  }

  private static int mode(Path p) throws Exception {
    return ((Integer) Files.getAttribute(p, "unix:mode", LinkOption.NOFOLLOW_LINKS)) & 07777;
  }

  private static long owner(Path p, String which) throws Exception {
    return ((Number) Files.getAttribute(p, "unix:" + which)).longValue();
  }

  @Test
  void rootOnlySnapshotIsUnreadableByAnotherUserThroughTheMount() throws Exception {
    mount(snap, mnt);
    Path f = mnt.resolve("disk.img");
    MountSupport.Run cat = asNobody("cat", f.toString());
    assertEquals(1, cat.exit(), cat.toString());
    assertEquals("cat: " + f + ": Permission denied\n", cat.err());
    assertEquals("", cat.out());
    MountSupport.Run stats = asNobody("cat", mnt.resolve(".cairn/stats.json").toString());
    assertEquals(1, stats.exit(), stats.toString());
    assertEquals("cat: " + mnt.resolve(".cairn/stats.json") + ": Permission denied\n", stats.err());

    assertArrayEquals(data, Files.readAllBytes(f), "root reads it byte-exact");
    assertEquals(0400, mode(f));
    assertEquals(0, owner(f, "uid"));
    assertEquals(0, owner(f, "gid"));
    assertEquals(0500, mode(mnt));
    assertEquals(0500, mode(mnt.resolve(".cairn")));
    assertEquals(0400, mode(mnt.resolve(".cairn/stats.json")));
    umount(mnt);
  }

  @Test
  void modeOptionSharesTheImageWithEveryLocalUser() throws Exception {
    mount(snap, mnt, "--mode", "0644");
    Path f = mnt.resolve("disk.img");
    MountSupport.Run sum = asNobody("sha256sum", f.toString()).ok();
    assertEquals(sha256(data) + "  " + f + "\n", sum.out());
    assertEquals(0444, mode(f), "a read-only stream drops the write bits");
    assertEquals(0, owner(f, "uid"));
    assertEquals(0555, mode(mnt));
    // still read-only for everyone
    MountSupport.Run dd =
        asNobody("dd", "if=/dev/zero", "of=" + f, "bs=1", "count=1", "conv=notrunc");
    assertEquals(1, dd.exit(), dd.toString());
    assertEquals("dd: failed to open '" + f + "': Read-only file system\n", dd.err());
    umount(mnt);
  }

  @Test
  void uidOptionGivesTheImageToOneUser() throws Exception {
    mount(snap, mnt, "--uid", "nobody", "--gid", "nogroup");
    Path f = mnt.resolve("disk.img");
    assertEquals(NOBODY, owner(f, "uid"));
    assertEquals(NOBODY, owner(f, "gid"));
    assertEquals(0400, mode(f));
    MountSupport.Run sum = asNobody("sha256sum", f.toString()).ok();
    assertEquals(sha256(data) + "  " + f + "\n", sum.out());
    umount(mnt);
  }

  @Test
  void overlayIsPrivateAndItsStreamWritableByRootOnly() throws Exception {
    Path overlay = dir.resolve("work/overlay");
    mount(snap, mnt, "--overlay", overlay.toString(), "--mode", "0644");
    Path f = mnt.resolve("disk.img");
    assertEquals(0644, mode(f));
    assertEquals(0700, mode(overlay));
    try (Stream<Path> files = Files.list(overlay)) {
      List<Path> all = files.toList();
      assertTrue(all.size() >= 4, all.toString());
      for (Path p : all) {
        assertEquals(0600, mode(p), p.toString());
      }
    }
    MountSupport.Run dd =
        asNobody("dd", "if=/dev/zero", "of=" + f, "bs=1", "count=1", "conv=notrunc");
    assertEquals(1, dd.exit(), dd.toString());
    assertEquals("dd: failed to open '" + f + "': Permission denied\n", dd.err());
    MountSupport.Run sum = asNobody("sha256sum", f.toString()).ok();
    assertEquals(sha256(data) + "  " + f + "\n", sum.out(), "nobody may still read it");

    try (FileChannel ch = FileChannel.open(f, StandardOpenOption.WRITE)) {
      ch.write(ByteBuffer.wrap("root was here".getBytes()), 1000);
    }
    byte[] expected = data.clone();
    System.arraycopy("root was here".getBytes(), 0, expected, 1000, 13);
    assertArrayEquals(expected, Files.readAllBytes(f));
    umount(mnt);
  }

  @Test
  void defaultOverlayMountOfARootOnlySnapshotIsWritableByRootOnly() throws Exception {
    Path overlay = dir.resolve("overlay");
    mount(snap, mnt, "--overlay", overlay.toString());
    Path f = mnt.resolve("disk.img");
    assertEquals(0600, mode(f));
    MountSupport.Run cat = asNobody("cat", f.toString());
    assertEquals(1, cat.exit(), cat.toString());
    assertEquals("cat: " + f + ": Permission denied\n", cat.err());
    try (FileChannel ch = FileChannel.open(f, StandardOpenOption.WRITE)) {
      ch.write(ByteBuffer.wrap(new byte[] {42}), 7);
    }
    assertEquals(42, Files.readAllBytes(f)[7]);
    umount(mnt);
  }

  @Test
  void writesAndTruncatesThroughAnOverlaySetMtimeAndCtime() throws Exception {
    Path overlay = dir.resolve("overlay");
    mount(snap, mnt, "--overlay", overlay.toString());
    Path f = mnt.resolve("disk.img");
    FileTime before = Files.getLastModifiedTime(f);
    FileTime ctimeBefore = (FileTime) Files.getAttribute(f, "unix:ctime");
    Thread.sleep(1100);
    long t0 = System.currentTimeMillis();
    try (FileChannel ch = FileChannel.open(f, StandardOpenOption.WRITE)) {
      ch.write(ByteBuffer.wrap(new byte[] {1, 2, 3}), 4096);
    }
    FileTime written = Files.getLastModifiedTime(f);
    FileTime ctimeWritten = (FileTime) Files.getAttribute(f, "unix:ctime");
    assertTrue(written.compareTo(before) > 0, before + " -> " + written);
    assertTrue(written.toMillis() >= t0 - 10, "mtime " + written + " is the write's time " + t0);
    assertTrue(ctimeWritten.compareTo(ctimeBefore) > 0, ctimeBefore + " -> " + ctimeWritten);
    assertEquals(written, ctimeWritten);

    Thread.sleep(50);
    run("truncate", "-s", Long.toString(data.length + 5000L), f.toString()).ok();
    FileTime truncated = Files.getLastModifiedTime(f);
    assertEquals(data.length + 5000L, Files.size(f));
    assertTrue(truncated.compareTo(written) > 0, written + " -> " + truncated);
    umount(mnt);

    // the time of the last change survives a remount (the overlay files' modification time)
    Thread.sleep(1100);
    mount(snap, mnt, "--overlay", overlay.toString());
    FileTime remounted = Files.getLastModifiedTime(f);
    assertTrue(
        Math.abs(remounted.toMillis() - truncated.toMillis()) < 1000,
        truncated + " -> " + remounted + " after a remount");
    umount(mnt);
  }
}
