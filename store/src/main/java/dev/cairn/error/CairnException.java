package dev.cairn.error;

import java.io.IOException;

/**
 * Base of Cairn's own failures: things that are wrong with a snapshot, a writable layer or how they
 * were asked to be used, as opposed to plain I/O errors of the JDK. The hierarchy is closed so that
 * the command line (exit codes) and the FUSE layer (errno) can each map every failure in one switch
 * over {@link #category()}, which the compiler checks for completeness. It extends {@link
 * IOException} so that {@code throws IOException} signatures keep covering it. The message is
 * always one line naming the file.
 *
 * <p>Immutable; thread-safe.
 */
public abstract sealed class CairnException extends IOException
    permits CorruptSnapshotException,
        CorruptStoreException,
        MissingParentException,
        UnsupportedVersionException,
        UnsupportedSnapshotException,
        NotASnapshotException,
        OverlayInUseException,
        ClosedException,
        OutOfSpaceException,
        RemoteUnavailableException,
        SourceChangedException,
        NotARegularFileException,
        NoCredentialsException,
        MissingKeyException,
        WrongKeyException,
        UntrustedSnapshotException,
        UsageException {
  private static final long serialVersionUID = 1L;

  /** What went wrong, one constant per subclass: what both mappings switch over. */
  public enum Category {
    CORRUPT_SNAPSHOT,
    CORRUPT_STORE,
    MISSING_PARENT,
    UNSUPPORTED_VERSION,
    UNSUPPORTED_SNAPSHOT,
    NOT_A_SNAPSHOT,
    OVERLAY_IN_USE,
    CLOSED,
    OUT_OF_SPACE,
    REMOTE_UNAVAILABLE,
    SOURCE_CHANGED,
    NOT_A_REGULAR_FILE,
    NO_CREDENTIALS,
    MISSING_KEY,
    WRONG_KEY,
    UNTRUSTED,
    USAGE
  }

  CairnException(String message) {
    super(message);
  }

  CairnException(String message, Throwable cause) {
    super(message, cause);
  }

  /** Which failure this is. */
  public abstract Category category();

  /**
   * True when the failure is the caller's input (not a snapshot, wrong version, a header value this
   * cairn does not implement, a missing parent, no credentials, a missing or wrong key, any other
   * bad argument) rather than damage or an operational failure: the CLI reports the former as a
   * usage error (exit 2), the rest as a failure (exit 1). This is the one place that decides it.
   */
  public final boolean isUsageError() {
    return switch (category()) {
      case MISSING_PARENT,
          UNSUPPORTED_VERSION,
          UNSUPPORTED_SNAPSHOT,
          NOT_A_SNAPSHOT,
          NO_CREDENTIALS,
          MISSING_KEY,
          WRONG_KEY,
          USAGE ->
          true;
      case CORRUPT_SNAPSHOT,
          CORRUPT_STORE,
          OVERLAY_IN_USE,
          CLOSED,
          OUT_OF_SPACE,
          REMOTE_UNAVAILABLE,
          SOURCE_CHANGED,
          NOT_A_REGULAR_FILE,
          UNTRUSTED ->
          false;
    };
  }
}
