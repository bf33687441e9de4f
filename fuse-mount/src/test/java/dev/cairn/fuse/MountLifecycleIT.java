package dev.cairn.fuse;

import static dev.cairn.fuse.MountSupport.awaitNoServers;
import static dev.cairn.fuse.MountSupport.awaitUnmounted;
import static dev.cairn.fuse.MountSupport.cairn;
import static dev.cairn.fuse.MountSupport.cleanUp;
import static dev.cairn.fuse.MountSupport.mount;
import static dev.cairn.fuse.MountSupport.servers;
import static dev.cairn.fuse.MountSupport.umount;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cairn.mount.MountState;
import dev.cairn.mount.RuntimeDir;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Mounting and unmounting: repeated cycles, bad arguments, signals, kill -9, foreground mode. */
class MountLifecycleIT {
  @TempDir static Path shared;
  static Path snap;
  static byte[] data;

  @TempDir Path dir;
  Path mnt;
  Process foreground;

  @BeforeAll
  static void pack() throws Exception {
    MountSupport.requireFuse();
    data = new byte[(3 << 20) + 17];
    new Random(3).nextBytes(data);
    Path in = Files.write(shared.resolve("small.img"), data);
    snap = shared.resolve("small.cairn");
    cairn("pack", in.toString(), "-o", snap.toString()).ok();
  }

  @AfterEach
  void tearDown() {
    if (foreground != null) {
      foreground.destroyForcibly();
    }
    cleanUp(mnt);
  }

  private Path newMountPoint() throws Exception {
    mnt = Files.createDirectory(dir.resolve("mnt"));
    return mnt;
  }

  private static MountState state(Path mnt) throws Exception {
    return MountState.read(RuntimeDir.forCurrentUser().stateFile(mnt.toRealPath()))
        .orElseThrow(() -> new AssertionError("no state file for " + mnt));
  }

  @Test
  void twentyMountUmountCyclesLeakNothing() throws Exception {
    Path m = newMountPoint();
    List<Long> millis = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      MountSupport.Run r = mount(snap, m);
      millis.add(r.millis());
      byte[] first = new byte[4096];
      try (var in = Files.newInputStream(m.resolve("small.img"))) {
        assertEquals(4096, in.readNBytes(first, 0, 4096));
      }
      assertArrayEquals(java.util.Arrays.copyOf(data, 4096), first);
      umount(m);
    }
    assertTrue(MountTable.find(m).isEmpty());
    assertEquals(List.of(), servers(m));
    assertFalse(Files.exists(RuntimeDir.forCurrentUser().stateFile(m.toRealPath())), "state file");
    try (var s = Files.list(m)) {
      assertEquals(0, s.count(), "mount point is an empty directory again");
    }
    Collections.sort(millis);
    System.out.printf(
        "cairn mount wall time over 20 runs: min %d ms, median %d ms, max %d ms%n",
        millis.get(0), millis.get(10), millis.get(19));
  }

  @Test
  void badMountPointsAndNonCairnUmountsExitTwo() throws Exception {
    Path missing = dir.resolve("missing");
    cairn("mount", snap.toString(), missing.toString()).fails(2, "does not exist");
    Path file = Files.writeString(dir.resolve("file"), "x");
    cairn("mount", snap.toString(), file.toString()).fails(2, "not a directory");
    Path full = Files.createDirectory(dir.resolve("full"));
    Files.writeString(full.resolve("x"), "x");
    cairn("mount", snap.toString(), full.toString()).fails(2, "not empty");
    Path empty = Files.createDirectory(dir.resolve("empty"));
    cairn("mount", dir.resolve("none.cairn").toString(), empty.toString()).fails(2, "no such file");
    cairn("mount", file.toString(), empty.toString()).fails(2, "not a Cairn snapshot");
    cairn("umount", empty.toString()).fails(2, "not a cairn mount");
    cairn("umount", missing.toString()).fails(2, "no such directory");
    cairn("umount", "/proc").fails(2, "not a cairn mount");

    Path m = newMountPoint();
    mount(snap, m);
    cairn("mount", snap.toString(), m.toString()).fails(2, "already mounted");
    umount(m);
  }

  @Test
  void killMinus9LeavesNoDeadMount() throws Exception {
    Path m = newMountPoint();
    mount(snap, m);
    MountState st = state(m);
    assertTrue(st.liveProcess().isPresent());
    ProcessHandle.of(st.pid()).orElseThrow().destroyForcibly(); // SIGKILL
    awaitUnmounted(m, Duration.ofSeconds(15)); // auto_unmount: fusermount cleans up
    awaitNoServers(m, Duration.ofSeconds(15));
    assertTrue(Files.isDirectory(m), "mount point is a plain directory again, not a dead mount");
    mount(snap, m); // and usable again
    umount(m);
  }

  @Test
  void sigtermUnmountsCleanly() throws Exception {
    Path m = newMountPoint();
    mount(snap, m);
    MountState st = state(m);
    MountSupport.run("kill", "-TERM", Long.toString(st.pid())).ok();
    awaitUnmounted(m, Duration.ofSeconds(15));
    awaitNoServers(m, Duration.ofSeconds(15));
    assertFalse(Files.exists(RuntimeDir.forCurrentUser().stateFile(m.toRealPath())));
    String log = Files.readString(st.logFile());
    assertTrue(log.contains("stopping: unmounting"), log);
    assertFalse(log.contains("Exception"), log);
  }

  @Test
  void foregroundServesUntilUmount() throws Exception {
    Path m = newMountPoint();
    List<String> cmd =
        List.of(
            Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "-jar",
            MountSupport.jar().toString(),
            "mount",
            snap.toString(),
            m.toString(),
            "--foreground");
    foreground =
        new ProcessBuilder(cmd)
            .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
            .redirectErrorStream(true)
            .start();
    BufferedReader out =
        new BufferedReader(
            new InputStreamReader(foreground.getInputStream(), StandardCharsets.UTF_8));
    String line;
    StringBuilder seen = new StringBuilder();
    while ((line = out.readLine()) != null && !line.startsWith("mounted ")) {
      seen.append(line).append('\n');
    }
    assertTrue(line != null, "foreground mount printed no 'mounted' line:\n" + seen);
    assertArrayEquals(data, Files.readAllBytes(m.resolve("small.img")));
    Thread drain =
        new Thread(
            () -> {
              try {
                out.transferTo(java.io.Writer.nullWriter());
              } catch (java.io.IOException e) {
                // process gone
              }
            });
    drain.start();
    umount(m);
    assertTrue(foreground.waitFor(15, TimeUnit.SECONDS), "foreground process exits");
    assertEquals(0, foreground.exitValue());
  }
}
