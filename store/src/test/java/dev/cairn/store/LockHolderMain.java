package dev.cairn.store;

import java.nio.file.Path;

/**
 * Child process for {@link DirectoryLockTest}: locks {@code args[0]}, prints {@code LOCKED}, and
 * holds the lock until its stdin is closed. With {@code try} as {@code args[1]} it only tries to
 * lock and prints {@code ACQUIRED} or {@code REFUSED <message>}.
 */
public final class LockHolderMain {
  private LockHolderMain() {}

  public static void main(String[] args) throws Exception {
    Path dir = Path.of(args[0]);
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
