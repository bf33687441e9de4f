package dev.cairn.delta;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cairn.error.OverlayInUseException;
import dev.cairn.fixture.ChildJvm;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DirectoryLockTest {
  @TempDir Path dir;

  @Test
  void acquireWritesPidAndReleaseAllowsAgain() throws Exception {
    try (DirectoryLock lock = DirectoryLock.acquire(dir)) {
      assertEquals(dir.toAbsolutePath().normalize(), lock.directory());
      assertEquals(
          ProcessHandle.current().pid() + "\n",
          Files.readString(dir.resolve(DirectoryLock.FILE_NAME)));
    }
    DirectoryLock again = DirectoryLock.acquire(dir);
    again.close();
    again.close(); // idempotent
    assertTrue(Files.exists(dir.resolve(DirectoryLock.FILE_NAME)), "lock file is kept");
  }

  @Test
  void secondAcquireInThisJvmIsRefusedWithOwnPid() throws Exception {
    try (DirectoryLock lock = DirectoryLock.acquire(dir)) {
      OverlayInUseException e =
          assertThrows(OverlayInUseException.class, () -> DirectoryLock.acquire(dir));
      long self = ProcessHandle.current().pid();
      assertEquals(self, e.pid());
      assertEquals("overlay " + lock.directory() + " is in use by PID " + self, e.getMessage());
      // Another spelling of the same directory is the same lock.
      Path link = Files.createSymbolicLink(dir.resolveSibling(dir.getFileName() + "-link"), dir);
      try {
        assertThrows(OverlayInUseException.class, () -> DirectoryLock.acquire(link));
      } finally {
        Files.delete(link);
      }
    }
  }

  @Test
  void inProcessRefusalDoesNotDropTheKernelLock() throws Exception {
    try (DirectoryLock lock = DirectoryLock.acquire(dir)) {
      assertThrows(OverlayInUseException.class, () -> DirectoryLock.acquire(dir));
      // POSIX record locks die with any descriptor of the file; another process must still be
      // refused after our refused attempt.
      try (ChildJvm child = ChildJvm.start(LockHolderMain.class, dir.toString(), "try")) {
        String line = child.awaitLine("", 60);
        assertEquals(
            "REFUSED overlay "
                + lock.directory()
                + " is in use by PID "
                + ProcessHandle.current().pid(),
            line);
      }
    }
  }

  @Test
  void anotherProcessIsRefusedWithTheHoldersPid() throws Exception {
    try (ChildJvm child = ChildJvm.start(LockHolderMain.class, dir.toString())) {
      String line = child.awaitLine("LOCKED", 60);
      assertEquals("LOCKED " + child.pid() + " " + dir.toAbsolutePath().normalize(), line);
      OverlayInUseException e =
          assertThrows(OverlayInUseException.class, () -> DirectoryLock.acquire(dir));
      assertEquals(child.pid(), e.pid());
      assertEquals(
          "overlay " + dir.toAbsolutePath().normalize() + " is in use by PID " + child.pid(),
          e.getMessage());
      child.closeStdin();
      child.awaitLine("RELEASED", 60);
      assertEquals(0, child.waitFor(60));
    }
    try (DirectoryLock lock = DirectoryLock.acquire(dir)) {
      assertEquals(
          ProcessHandle.current().pid() + "\n", Files.readString(lock.directory().resolve("lock")));
    }
  }

  /**
   * Two openers race: the winner has locked but not yet written its PID, so the file still names
   * the previous holder, which has exited. The refusal must name the live holder.
   */
  @Test
  void theRefusalNamesTheLiveHolderNotAStalePidInTheFile() throws Exception {
    Files.writeString(dir.resolve(DirectoryLock.FILE_NAME), deadPid() + "\n");
    try (ChildJvm child = ChildJvm.start(LockHolderMain.class, dir.toString(), "bare")) {
      assertEquals("LOCKED " + child.pid(), child.awaitLine("LOCKED", 60));
      OverlayInUseException e =
          assertThrows(OverlayInUseException.class, () -> DirectoryLock.acquire(dir));
      assertEquals(child.pid(), e.pid());
      child.closeStdin();
      child.awaitLine("RELEASED", 60);
    }
  }

  @Test
  void procLocksLinesAreParsed() {
    List<String> lines =
        List.of(
            "1: FLOCK  ADVISORY  WRITE 77 08:01:131090 0 EOF",
            "2: POSIX  ADVISORY  WRITE 4242 fd:01:131090 0 EOF",
            "2: -> POSIX  ADVISORY  WRITE 4343 fd:01:131090 0 EOF",
            "3: POSIX  ADVISORY  WRITE 5151 08:01:131090 0 EOF");
    assertEquals(OptionalLong.of(5151), LockHolder.find(lines, 8, 1, 131090));
    assertEquals(OptionalLong.of(4242), LockHolder.find(lines, 0xfd, 1, 131090));
    assertEquals(OptionalLong.empty(), LockHolder.find(lines, 8, 2, 131090));
    assertEquals(0x103, LockHolder.major(0x10312L) & 0xfff);
  }

  /** A PID that no process has (one that existed and exited). */
  private static long deadPid() throws Exception {
    Process p = new ProcessBuilder("true").start();
    p.waitFor();
    return p.pid();
  }

  @Test
  void killedHolderLeavesNoStaleLock() throws Exception {
    try (ChildJvm child = ChildJvm.start(LockHolderMain.class, dir.toString())) {
      child.awaitLine("LOCKED", 60);
      assertThrows(OverlayInUseException.class, () -> DirectoryLock.acquire(dir));
      child.kill9();
    }
    try (DirectoryLock lock = DirectoryLock.acquire(dir)) {
      assertTrue(Files.exists(lock.directory().resolve(DirectoryLock.FILE_NAME)));
    }
  }
}
