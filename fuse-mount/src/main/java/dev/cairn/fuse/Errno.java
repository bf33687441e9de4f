package dev.cairn.fuse;

import dev.cairn.error.CairnException;
import ru.serce.jnrfuse.ErrorCodes;

/**
 * The one mapping from a failed read, write, truncate or fsync to the negative errno the kernel is
 * given. A full file system is ENOSPC, so that a program in the guest or on the host sees "No space
 * left on device" and can act on it; every other failure is EIO, since the caller can do nothing
 * more specific about it.
 *
 * <p>Stateless; thread-safe.
 */
final class Errno {
  private Errno() {}

  /** The negative errno for {@code failure}. */
  static int of(Throwable failure) {
    if (!(failure instanceof CairnException c)) {
      return -ErrorCodes.EIO();
    }
    return switch (c.category()) {
      case OUT_OF_SPACE -> -ErrorCodes.ENOSPC();
      case CORRUPT_SNAPSHOT,
          CORRUPT_STORE,
          MISSING_PARENT,
          UNSUPPORTED_VERSION,
          UNSUPPORTED_SNAPSHOT,
          NOT_A_SNAPSHOT,
          OVERLAY_IN_USE,
          CLOSED,
          REMOTE_UNAVAILABLE,
          SOURCE_CHANGED,
          NOT_A_REGULAR_FILE,
          NO_CREDENTIALS,
          MISSING_KEY,
          WRONG_KEY,
          UNTRUSTED,
          USAGE ->
          -ErrorCodes.EIO();
    };
  }
}
