package dev.cairn.mount;

import dev.cairn.error.ExitCode;
import dev.cairn.error.UsageException;
import dev.cairn.fuse.Fusermount;
import dev.cairn.fuse.MountTable;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * The launcher's side of the ready handshake with a serving process: waits for its ready file
 * ({@code ready PID}, or {@code error CODE} after it printed its one-line error to the log), and
 * when it fails, dies or times out, says why in one line taken from its log.
 *
 * <p>Stateless; thread-safe.
 */
final class ReadyHandshake {
  private ReadyHandshake() {}

  /** The serving JVM died of a JVM crash (not of an error it reported itself). */
  static final class CrashedException extends Exception {
    private static final long serialVersionUID = 1L;

    CrashedException(String message) {
      super(message);
    }
  }

  /**
   * Waits for the serving process's ready file ({@code ready PID}, or {@code error CODE} after it
   * printed its one-line error to the log); on failure, death or timeout explains why.
   */
  static void awaitReady(long pid, Path ready, Path mnt, Path log) throws Exception {
    long deadline = System.nanoTime() + MountServer.READY_TIMEOUT.toNanos();
    while (true) {
      if (Files.exists(ready)) {
        String status = Files.readString(ready, StandardCharsets.UTF_8).strip();
        if (status.startsWith("ready")) {
          return;
        }
        int code = parseErrorCode(status);
        String why = childError(log).orElse("mount process failed (exit code " + code + ")");
        if (code == ExitCode.USAGE) {
          throw new UsageException(why);
        }
        throw new IOException(why + " (log: " + log + ")");
      }
      if (!MountState.running(pid)) {
        if (Files.exists(ready)) {
          continue; // wrote its status just before exiting
        }
        if (crashed(log)) {
          throw new CrashedException("the mount process crashed (log: " + log + ")");
        }
        throw new IOException(
            childError(log).orElse("the mount process exited without a word")
                + " (log: "
                + log
                + ")");
      }
      if (System.nanoTime() > deadline) {
        // SIGKILL the JVM only: its fusermount watchdog (auto_unmount) then removes the mount
        ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
        MountState.awaitGone(pid, 5000);
        for (int i = 0; i < 100 && MountTable.find(mnt).isPresent(); i++) {
          Thread.sleep(20);
        }
        if (MountTable.find(mnt).isPresent()) {
          Fusermount.unmount(mnt, true);
        }
        throw new IOException(
            mnt
                + ": mount did not become ready within "
                + MountServer.READY_TIMEOUT.toSeconds()
                + " s (log: "
                + log
                + ")");
      }
      Thread.sleep(10);
    }
  }

  /** The exit code in an {@code error CODE} status line (1 if unreadable). */
  static int parseErrorCode(String status) {
    String[] f = status.split("\\s+");
    try {
      return f.length >= 2 && f[0].equals("error") ? Integer.parseInt(f[1]) : ExitCode.FAILURE;
    } catch (NumberFormatException e) {
      return ExitCode.FAILURE;
    }
  }

  /** Whether the log shows a JVM crash report rather than an error of ours. */
  static boolean crashed(Path log) {
    try {
      return Files.readString(log, StandardCharsets.UTF_8)
          .contains("A fatal error has been detected by the Java Runtime Environment");
    } catch (IOException e) {
      return false;
    }
  }

  /**
   * The serving process's own one-line error: its last {@code cairn: ...} line, else a libfuse or
   * fusermount complaint, else its last line.
   */
  static Optional<String> childError(Path log) {
    List<String> lines;
    try {
      lines = Files.readAllLines(log, StandardCharsets.UTF_8);
    } catch (IOException e) {
      return Optional.empty();
    }
    String fuse = null;
    String last = null;
    for (String l : lines) {
      String t = l.strip();
      if (t.isEmpty()) {
        continue;
      }
      last = t;
      if (t.startsWith("fuse:") || t.startsWith("fusermount:")) {
        fuse = t;
      }
    }
    for (int i = lines.size() - 1; i >= 0; i--) {
      String t = lines.get(i).strip();
      if (t.startsWith("cairn: ")) {
        String msg = t.substring("cairn: ".length());
        return Optional.of(fuse != null ? msg + " (" + fuse + ")" : msg);
      }
    }
    return Optional.ofNullable(fuse != null ? fuse : last);
  }
}
