package dev.cairn.source;

import java.io.IOException;

/**
 * A failed attempt at a remote request that another attempt may fix (connection refused or reset,
 * no response or no data in time, a body cut short, a server error); {@link
 * RetryPolicy#withRetries} repeats the request. Its message is complete and names the object.
 *
 * <p>Immutable.
 */
final class TransientException extends IOException {
  private static final long serialVersionUID = 1L;

  TransientException(String message, Throwable cause) {
    super(message, cause);
  }

  /** A body that stopped arriving for {@link RetryPolicy#timeout()}. */
  static TransientException stalled(String name, Throwable cause) {
    return new TransientException(name + ": no data for " + RetryPolicy.timeout() + " s", cause);
  }

  /** A body that ended {@code missing} bytes before the {@code requested} ones. */
  static TransientException closedShort(String name, int missing, int requested, Throwable cause) {
    return new TransientException(
        name
            + ": the server closed the connection "
            + missing
            + " bytes short of the "
            + requested
            + " requested",
        cause);
  }
}
