package dev.cairn.fuse;

import static dev.cairn.fuse.MountSupport.cairn;
import static dev.cairn.fuse.MountSupport.cleanUp;
import static dev.cairn.fuse.MountSupport.mount;
import static dev.cairn.fuse.MountSupport.run;
import static dev.cairn.fuse.MountSupport.umount;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The writable overlay through the real kernel path: an ext4 image inside the mounted snapshot is
 * loop-mounted read-write and changed; the changes survive a remount, a commit turns them into a
 * thin snapshot whose mount passes {@code e2fsck}, fsynced data survives {@code kill -9} of the
 * mount, and a second mount of one overlay is refused.
 */
class OverlayMountIT {
  private static final String APPENDED = "appended by OverlayMountIT\n";

  @TempDir static Path shared;
  static Path image;
  static Path base;
  static Map<String, String> manifest;

  @TempDir Path dir;
  Path mnt;
  Path fs;

  @BeforeAll
  static void buildImageAndPack() throws Exception {
    MountSupport.requireFuse();
    image = shared.resolve("disk.img");
    run(
            MountSupport.repoRoot().resolve("testimages/make-ext4.sh").toString(),
            image.toString(),
            "384")
        .ok();
    manifest = new LinkedHashMap<>();
    for (String line : Files.readAllLines(Path.of(image + ".sha256"))) {
      manifest.put(line.substring(66), line.substring(0, 64));
    }
    base = shared.resolve("base.cairn");
    cairn("pack", image.toString(), "-o", base.toString(), "--codec", "zstd").ok();
  }

  @AfterEach
  void tearDown() {
    cleanUp(mnt, fs);
  }

  private void dirs() throws IOException {
    mnt = Files.createDirectories(dir.resolve("mnt"));
    fs = Files.createDirectories(dir.resolve("fs"));
  }

  private static byte[] random(int n, long seed) {
    byte[] b = new byte[n];
    new Random(seed).nextBytes(b);
    return b;
  }

  private static String sha256Of(byte[] b) throws Exception {
    return java.util.HexFormat.of()
        .formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(b));
  }

  /** Checks the changed files and every untouched file of the image's manifest. */
  private void checkChanged(Path root, String newSha, String appendedTo, String deleted)
      throws Exception {
    assertEquals(newSha, MountSupport.sha256(root.resolve("new.bin")));
    String tail =
        new String(Files.readAllBytes(root.resolve(appendedTo)), StandardCharsets.ISO_8859_1);
    assertTrue(tail.endsWith(APPENDED), appendedTo + " ends with the appended line");
    assertFalse(Files.exists(root.resolve(deleted)), deleted + " was deleted");
    int checked = 0;
    for (var e : manifest.entrySet()) {
      if (e.getKey().equals(appendedTo) || e.getKey().equals(deleted)) {
        continue;
      }
      assertEquals(e.getValue(), MountSupport.sha256(root.resolve(e.getKey())), e.getKey());
      checked++;
    }
    assertTrue(checked > 100, "untouched files compared: " + checked);
  }

  /** The serving process's pid, from the mount's own stats.json. */
  private static long servingPid(Path mnt) throws IOException {
    return new com.fasterxml.jackson.databind.ObjectMapper()
        .readTree(Files.readAllBytes(mnt.resolve(".cairn/stats.json")))
        .get("mount")
        .get("pid")
        .asLong();
  }

  @Test
  void writeRemountCommitAndMountTheThinChild() throws Exception {
    dirs();
    Path work = dir.resolve("work");
    String appendedTo =
        manifest.keySet().stream().filter(k -> k.startsWith("text/")).findFirst().orElseThrow();
    String deleted =
        manifest.keySet().stream().filter(k -> k.startsWith("bin/")).findFirst().orElseThrow();
    byte[] newFile = random(24 << 20, 24);
    String newSha = sha256Of(newFile);

    mount(base, mnt, "--overlay", work.toString());
    Path file = mnt.resolve("disk.img");
    assertEquals("rw-r--r--", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
    run("mount", "-o", "loop", file.toString(), fs.toString()).ok();
    Files.write(fs.resolve("new.bin"), newFile);
    Files.writeString(fs.resolve(appendedTo), APPENDED, StandardOpenOption.APPEND);
    Files.delete(fs.resolve(deleted));
    run("umount", fs.toString()).ok();
    umount(mnt);

    // Remounting the overlay directory alone shows the same changes.
    mount(base, mnt, "--overlay", work.toString());
    run("mount", "-o", "loop,ro", file.toString(), fs.toString()).ok();
    checkChanged(fs, newSha, appendedTo, deleted);
    run("umount", fs.toString()).ok();
    umount(mnt);

    Path child = dir.resolve("child.cairn");
    cairn("commit", work.toString(), "-o", child.toString()).ok();
    long childSize = Files.size(child);
    assertTrue(
        childSize < (24 << 20) + (8 << 20) && childSize < Files.size(image) / 8,
        "thin child holds only the changes: " + childSize + " bytes");

    mount(child, mnt);
    assertEquals("r--r--r--", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
    String childSha = MountSupport.sha256(file);
    run("e2fsck", "-fn", file.toString()).ok();
    run("mount", "-o", "loop,ro", file.toString(), fs.toString()).ok();
    checkChanged(fs, newSha, appendedTo, deleted);
    run("umount", fs.toString()).ok();
    umount(mnt);

    // Base and child moved together still mount; a different base under the same name does not.
    Path moved = Files.createDirectories(dir.resolve("moved"));
    Path movedBase = moved.resolve("base.cairn");
    Files.copy(base, movedBase);
    Files.move(child, moved.resolve("child.cairn"));
    mount(moved.resolve("child.cairn"), mnt);
    assertEquals(childSha, MountSupport.sha256(file), "moved pair serves the same bytes");
    umount(mnt);
    cairn("pack", image.toString(), "-o", movedBase.toString()).ok(); // same bytes, new id
    MountSupport.Run refused =
        cairn("mount", moved.resolve("child.cairn").toString(), mnt.toString());
    refused.fails(2, "not found");
    assertTrue(refused.err().contains("a different snapshot"), refused.err());
    // ... unless --parent-search names a directory holding the right one
    mount(moved.resolve("child.cairn"), mnt, "--parent-search", base.getParent().toString());
    assertEquals(childSha, MountSupport.sha256(file), "--parent-search found the original base");
    umount(mnt);
  }

  @Test
  void fsyncedDataSurvivesKillDashNine() throws Exception {
    dirs();
    Path work = dir.resolve("work");
    mount(base, mnt, "--overlay", work.toString());
    Path file = mnt.resolve("disk.img");
    run("mount", "-o", "loop", file.toString(), fs.toString()).ok();
    byte[] durable = random(16 << 20, 16);
    try (FileOutputStream out = new FileOutputStream(fs.resolve("durable.bin").toFile())) {
      out.write(durable);
      out.getFD().sync();
    }
    long pid = servingPid(mnt);

    AtomicBoolean stop = new AtomicBoolean();
    Thread writer =
        new Thread(
            () -> {
              byte[] chunk = random(1 << 20, 99);
              try (OutputStream out = Files.newOutputStream(fs.resolve("in-flight.bin"))) {
                while (!stop.get()) {
                  out.write(chunk);
                }
              } catch (IOException expected) {
                // the mount goes away under it
              }
            });
    writer.setDaemon(true);
    writer.start();
    Thread.sleep(500);
    run("kill", "-9", Long.toString(pid)).ok();
    MountSupport.awaitUnmounted(mnt, Duration.ofSeconds(30));
    stop.set(true);
    run("umount", "-l", fs.toString());
    cleanUp(mnt, fs);

    mount(base, mnt, "--overlay", work.toString());
    MountSupport.Run fsck = run("e2fsck", "-fy", file.toString());
    assertTrue(
        fsck.exit() <= 1, "e2fsck -fy repaired or found nothing: " + fsck.exit() + fsck.out());
    run("mount", "-o", "loop,ro", file.toString(), fs.toString()).ok();
    assertEquals(sha256Of(durable), MountSupport.sha256(fs.resolve("durable.bin")));
    run("umount", fs.toString()).ok();
    umount(mnt);
  }

  @Test
  void secondMountOfOneOverlayIsRefusedAndTheSecondaryStaysReadOnly() throws Exception {
    dirs();
    Path notes = dir.resolve("notes.txt");
    Files.writeString(notes, "read me\n".repeat(100));
    Path two = dir.resolve("two.cairn");
    cairn("pack", image.toString(), "-o", two.toString(), "--secondary", notes.toString()).ok();
    Path work = dir.resolve("work");
    mount(two, mnt, "--overlay", work.toString());
    long pid = servingPid(mnt);

    Path other = Files.createDirectories(dir.resolve("other"));
    try {
      cairn("mount", two.toString(), other.toString(), "--overlay", work.toString())
          .fails(1, "is in use by PID " + pid);
    } finally {
      cleanUp(other);
    }

    Path secondary = mnt.resolve("notes.txt");
    assertEquals(
        "r--r--r--", PosixFilePermissions.toString(Files.getPosixFilePermissions(secondary)));
    assertThrows(
        IOException.class,
        () ->
            Files.writeString(secondary, "no", StandardCharsets.UTF_8, StandardOpenOption.APPEND));
    Path primary = mnt.resolve("disk.img");
    long size = Files.size(primary);
    MountSupport.Run shrink = run("truncate", "-s", Long.toString(size - 4096), primary.toString());
    assertTrue(shrink.exit() != 0, "shrinking below the base is refused");
    run("truncate", "-s", Long.toString(size + (1 << 20)), primary.toString()).ok();
    assertEquals(size + (1 << 20), Files.size(primary));
    umount(mnt);
    assertTrue(
        cairn("commit", work.toString(), "-o", dir.resolve("grown.cairn").toString()).ok().exit()
            == 0);
  }

  @Test
  void aFullOverlayFileSystemIsEnospcInTheMount() throws Exception {
    dirs();
    Path small = Files.createDirectories(dir.resolve("small"));
    run("mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", small.toString()).ok();
    try {
      mount(base, mnt, "--overlay", small.resolve("work").toString());
      IOException failure = null;
      try (FileChannel ch = FileChannel.open(mnt.resolve("disk.img"), StandardOpenOption.WRITE)) {
        ByteBuffer chunk = ByteBuffer.wrap(random(1 << 20, 7));
        for (int i = 0; i < 16 && failure == null; i++) {
          try {
            ch.write(chunk.clear(), (long) i << 20);
            ch.force(false);
          } catch (IOException e) {
            failure = e;
          }
        }
      } catch (IOException closing) {
        // the close flushes too and fails the same way; the write's failure is checked
      }
      assertNotNull(failure, "16 MiB of random data do not fit in a 2 MiB overlay");
      assertEquals("No space left on device", failure.getMessage());
      umount(mnt);
    } finally {
      cleanUp(mnt);
      run("umount", small.toString());
    }
  }
}
