package dev.cairn.error;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;

/**
 * The exit code and the one-line message of a failed process — a command or a mount's serving
 * process, which report failures alike: 2 for usage errors (bad flags, missing or unreadable input,
 * and every {@link CairnException#isUsageError()}), 1 for operational failures (I/O, corruption).
 * The one place that maps failures to exit codes.
 *
 * <p>Stateless; thread-safe.
 */
public final class ExitCode {
  public static final int OK = 0;
  public static final int FAILURE = 1;
  public static final int USAGE = 2;

  private ExitCode() {}

  /** The exit code for {@code ex}. */
  public static int of(Throwable ex) {
    if (ex instanceof CairnException c) {
      return c.isUsageError() ? USAGE : FAILURE;
    }
    if (ex instanceof NoSuchFileException
        || ex instanceof AccessDeniedException
        || ex instanceof FileNotFoundException) {
      return USAGE;
    }
    return FAILURE;
  }

  /** What to print after {@code cairn: } for {@code ex}: one line. */
  public static String message(Throwable ex) {
    if (ex instanceof NoSuchFileException e) {
      return e.getFile()
          + (e.getReason() == null
              ? ": no such file or directory"
              : ": not found (" + e.getReason() + ")");
    }
    if (ex instanceof AccessDeniedException e) {
      return e.getFile() + ": permission denied";
    }
    if (ex instanceof FileSystemException e && e.getReason() != null) {
      return e.getFile() + ": " + e.getReason();
    }
    if (ex instanceof OutOfMemoryError) {
      // both processes size their heap from --cache-size
      return "out of memory (try a smaller --cache-size, or raise the JVM heap with JAVA_OPTS)";
    }
    String m = ex.getMessage();
    if (ex instanceof IOException) {
      return m == null ? ex.getClass().getSimpleName() : m.replace('\n', ' ');
    }
    return "internal error: " + ex + " (run with --debug for details)";
  }
}
