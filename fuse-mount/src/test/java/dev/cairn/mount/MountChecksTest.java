package dev.cairn.mount;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cairn.error.UsageException;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Checks of a mount's arguments and of the serving process's own, without mounting. */
class MountChecksTest {
  @TempDir Path tmp;

  @Test
  void uidAndGidNamesResolveThroughTheUserDatabase() throws Exception {
    assertEquals(new AccessOptions(0L, 0L, 0644), AccessOptions.parse("root", "root", "0644"));
    assertEquals(new AccessOptions(65534L, null, 0400), AccessOptions.parse("65534", null, "400"));
    AccessOptions a = new AccessOptions(64055L, 0L, 0640);
    assertEquals(List.of("--uid=64055", "--gid=0", "--mode=0640"), a.serveArgs());
    assertEquals(
        a,
        AccessOptions.fromServeArgs(java.util.Map.of("uid", "64055", "gid", "0", "mode", "0640")));
  }

  @Test
  void cacheSizeIsCappedAtHalfOfPhysicalMemory() throws Exception {
    long memory = 24L << 30;
    MountChecks.checkCacheSize(12L << 30, memory);
    UsageException e =
        assertThrows(
            UsageException.class, () -> MountChecks.checkCacheSize((12L << 30) + 1, memory));
    assertEquals(
        "--cache-size 12.0 GiB is more than half of this machine's memory (24.0 GiB); use at most"
            + " 12288M",
        e.getMessage());
    MountChecks.checkCacheSize(64L << 30, 0); // memory unknown: only the minimum applies
    assertEquals(
        24_550_400L << 10,
        PhysicalMemory.parse(List.of("MemFree: 10 kB", "MemTotal:       24550400 kB")));
    assertEquals(0, PhysicalMemory.parse(List.of("MemTotal: lots")));
    assertTrue(PhysicalMemory.total() > 0, "/proc/meminfo has MemTotal");
  }

  @Test
  void checkMountPointReturnsTheRealPath() throws Exception {
    Path d = Files.createDirectory(tmp.resolve("real"));
    Path link = Files.createSymbolicLink(tmp.resolve("link"), d);
    assertEquals(d.toRealPath(), MountChecks.checkMountPoint(link.toString()));
    assertThrows(UsageException.class, () -> MountChecks.checkMountPoint("/"));
  }

  @Test
  void serveMainRejectsBadArguments() {
    PrintStream oldErr = System.err;
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    try {
      System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
      assertEquals(2, ServeMain.run(new String[] {"positional"}));
      assertEquals(2, ServeMain.run(new String[] {"--snapshot=/x"}));
    } finally {
      System.setErr(oldErr);
    }
    assertFalse(err.toString(StandardCharsets.UTF_8).contains("Exception"));
  }
}
