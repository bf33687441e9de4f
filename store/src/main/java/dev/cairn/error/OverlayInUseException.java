package dev.cairn.error;

import java.nio.file.Path;

/**
 * Another process (or another open in this process) holds the exclusive lock of a directory, so it
 * must not be opened. The message names the directory and the holder's PID, e.g. {@code overlay
 * /var/lib/vm/work is in use by PID 1234}.
 *
 * <p>Immutable.
 */
public final class OverlayInUseException extends CairnException {
  private static final long serialVersionUID = 1L;

  /** Marks a holder whose PID could not be read from the lock file. */
  public static final long UNKNOWN_PID = -1;

  private final transient Path directory;
  private final long pid;

  public OverlayInUseException(Path directory, long pid) {
    super(
        "overlay "
            + directory
            + " is in use by "
            + (pid == UNKNOWN_PID ? "another process" : "PID " + pid));
    this.directory = directory;
    this.pid = pid;
  }

  /** The locked directory (absolute). */
  public Path directory() {
    return directory;
  }

  /** The PID of the holder, or {@link #UNKNOWN_PID}. */
  public long pid() {
    return pid;
  }

  @Override
  public Category category() {
    return Category.OVERLAY_IN_USE;
  }
}
