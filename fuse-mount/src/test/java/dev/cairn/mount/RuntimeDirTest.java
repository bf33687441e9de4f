package dev.cairn.mount;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RuntimeDirTest {
  @TempDir Path tmp;

  @Test
  void choosesOverrideThenPerUserDefaults() {
    assertEquals(Path.of("/x/y"), RuntimeDir.choose(Map.of("CAIRN_RUNTIME_DIR", "/x/y"), 1000));
    assertEquals(Path.of("/var/tmp/cairn"), RuntimeDir.choose(Map.of(), 0));
    assertEquals(
        Path.of("/var/tmp/cairn"), RuntimeDir.choose(Map.of("XDG_RUNTIME_DIR", "/run/user/0"), 0));
    assertEquals(
        Path.of("/run/user/1000/cairn"),
        RuntimeDir.choose(Map.of("XDG_RUNTIME_DIR", "/run/user/1000"), 1000));
    assertEquals(Path.of("/var/tmp/cairn-1000"), RuntimeDir.choose(Map.of(), 1000));
  }

  @Test
  void filesAreNamedAfterTheMountPoint() {
    RuntimeDir d = new RuntimeDir(tmp);
    Path a = Path.of("/mnt/a");
    assertEquals(d.stateFile(a), d.stateFile(Path.of("/mnt/a")));
    assertNotEquals(d.stateFile(a), d.stateFile(Path.of("/mnt/b")));
    assertTrue(d.logFile(a).getFileName().toString().matches("mount-[0-9a-f]{16}\\.log"));
    assertTrue(d.readyFile(a).getFileName().toString().endsWith(".ready"));
    assertEquals("cbf29ce484222325", RuntimeDir.hash(""));
  }

  @Test
  void ensureCreatesAPrivateDirectory() throws Exception {
    Path dir = tmp.resolve("a/b/cairn");
    new RuntimeDir(dir).ensure();
    assertTrue(Files.isDirectory(dir));
    assertEquals(
        "rwx------",
        java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(dir)));
    new RuntimeDir(dir).ensure(); // idempotent
  }

  @Test
  void ensureRefusesAFileOrALink() throws Exception {
    Path file = Files.writeString(tmp.resolve("f"), "");
    assertThrows(IOException.class, () -> new RuntimeDir(file).ensure());
    Path link = Files.createSymbolicLink(tmp.resolve("l"), Files.createDirectory(tmp.resolve("d")));
    assertThrows(IOException.class, () -> new RuntimeDir(link).ensure());
  }

  @Test
  void pruneOldLogsKeepsRecentAndActiveOnes() throws Exception {
    RuntimeDir d = new RuntimeDir(tmp);
    java.nio.file.attribute.FileTime old =
        java.nio.file.attribute.FileTime.fromMillis(System.currentTimeMillis() - 30L * 86_400_000);
    Path oldLog = Files.writeString(tmp.resolve("mount-00000000000000aa.log"), "x");
    Path activeLog = Files.writeString(tmp.resolve("mount-00000000000000bb.log"), "x");
    Files.writeString(tmp.resolve("mount-00000000000000bb.state"), "pid=1");
    Path crash = Files.writeString(tmp.resolve("hs_err_pid12.log"), "x");
    Path fresh = Files.writeString(tmp.resolve("mount-00000000000000cc.log"), "x");
    Path other = Files.writeString(tmp.resolve("notes.txt"), "x");
    // a server that is gone, and one still listening (its socket is there)
    Path goneServer = Files.writeString(tmp.resolve("server-00000000000000dd.log"), "x");
    Path goneLock = Files.writeString(tmp.resolve("server-00000000000000dd.lock"), "");
    Path liveServer = Files.writeString(tmp.resolve("server-00000000000000ee.log"), "x");
    Files.writeString(tmp.resolve("server-00000000000000ee.sock"), "");
    for (Path p : new Path[] {oldLog, activeLog, crash, other, goneServer, liveServer}) {
      Files.setLastModifiedTime(p, old);
    }
    assertEquals(3, d.pruneOldLogs(java.time.Duration.ofDays(7)));
    assertTrue(Files.exists(activeLog));
    assertTrue(Files.exists(fresh));
    assertTrue(Files.exists(other));
    assertTrue(Files.exists(liveServer));
    assertTrue(!Files.exists(oldLog) && !Files.exists(crash));
    assertTrue(!Files.exists(goneServer) && !Files.exists(goneLock));
  }

  @Test
  void currentIdsMatchTheProcess() {
    assertEquals("root".equals(System.getProperty("user.name")), RuntimeDir.currentUid() == 0);
  }
}
