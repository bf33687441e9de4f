package dev.cairn.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
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
