package dev.cairn.source;

import java.io.IOException;

/**
 * A failed attempt at a remote request that another attempt may fix (connection refused or reset,
 * no response or no data in time, a body cut short, a server error); {@link
 * RemoteByteSource#withRetries} repeats the request. Its message is complete and names the object.
 *
 * <p>Immutable.
 */
final class TransientException extends IOException {
  private static final long serialVersionUID = 1L;

  TransientException(String message, Throwable cause) {
    super(message, cause);
  }
}
