package dev.cairn.delta;

import dev.cairn.error.OverlayInUseException;
import java.nio.file.Path;

/**
 * Child process for {@link DirectoryLockTest}: locks {@code args[0]}, prints {@code LOCKED}, and
 * holds the lock until its stdin is closed. With {@code try} as {@code args[1]} it only tries to
 * lock and prints {@code ACQUIRED} or {@code REFUSED <message>}. With {@code bare} it locks the
 * lock file directly, without writing its PID.
 */
public final class LockHolderMain {
  private LockHolderMain() {}

  public static void main(String[] args) throws Exception {
    Path dir = Path.of(args[0]);
    if (args.length > 1 && args[1].equals("bare")) {
      // locks the way DirectoryLock does but never writes its PID: a holder caught between its
      // lock and its write
      try (java.nio.channels.FileChannel ch =
          java.nio.channels.FileChannel.open(
              dir.resolve(DirectoryLock.FILE_NAME),
              java.nio.file.StandardOpenOption.READ,
              java.nio.file.StandardOpenOption.WRITE)) {
        if (ch.tryLock() == null) {
          System.out.println("REFUSED");
          return;
        }
        System.out.println("LOCKED " + ProcessHandle.current().pid());
        System.out.flush();
        while (System.in.read() >= 0) {
          // Hold until the parent closes our stdin.
        }
      }
      System.out.println("RELEASED");
      return;
    }
    if (args.length > 1 && args[1].equals("try")) {
      try (DirectoryLock lock = DirectoryLock.acquire(dir)) {
        System.out.println("ACQUIRED " + lock.directory());
      } catch (OverlayInUseException e) {
        System.out.println("REFUSED " + e.getMessage());
      }
      return;
    }
    try (DirectoryLock lock = DirectoryLock.acquire(dir)) {
      System.out.println("LOCKED " + ProcessHandle.current().pid() + " " + lock.directory());
      System.out.flush();
      while (System.in.read() >= 0) {
        // Hold until the parent closes our stdin.
      }
    }
    System.out.println("RELEASED");
  }
}
