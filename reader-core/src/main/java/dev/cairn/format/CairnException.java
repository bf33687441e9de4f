package dev.cairn.format;

import java.io.IOException;

/**
 * Base of Cairn's own failures: things that are wrong with a snapshot or with how it was asked to
 * be read, as opposed to plain I/O errors. The command line maps each subclass to an exit code and
 * the FUSE layer to an errno; the message is always one line naming the file.
 */
public abstract class CairnException extends IOException {
  private static final long serialVersionUID = 1L;

  protected CairnException(String message) {
    super(message);
  }

  protected CairnException(String message, Throwable cause) {
    super(message, cause);
  }

  /**
   * True when the failure is the caller's input (not a snapshot, wrong version, a header value this
   * cairn does not implement, wrong key) rather than damage found in a snapshot: the CLI reports
   * the former as a usage error.
   */
  public abstract boolean isUsageError();
}
