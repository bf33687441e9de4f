package dev.cairn.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Whether one of the process's standard streams is a terminal. {@link System#console()} answers
 * only for stdin and stdout together, so {@code cairn verify big.cairn > report.txt} at a terminal
 * would lose its progress bar (drawn on stderr); this asks about each descriptor on its own by
 * where {@code /proc/self/fd/N} points, which costs no native library at start-up.
 *
 * <p><b>Thread safety:</b> stateless.
 */
final class Terminal {
  static final int STDOUT = 1;
  static final int STDERR = 2;

  private Terminal() {}

  /** Whether file descriptor {@code fd} of this process is a terminal device. */
  static boolean isTerminal(int fd) {
    try {
      return isTerminalDevice(Files.readSymbolicLink(Path.of("/proc/self/fd/" + fd)).toString());
    } catch (IOException | UnsupportedOperationException e) {
      return false; // closed, or no /proc: behave as for a file
    }
  }

  /** Whether {@code target}, the path a descriptor refers to, names a terminal device. */
  static boolean isTerminalDevice(String target) {
    return target.startsWith("/dev/pts/")
        || target.startsWith("/dev/tty")
        || target.equals("/dev/console");
  }
}
