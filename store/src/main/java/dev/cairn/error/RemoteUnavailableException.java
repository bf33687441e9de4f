package dev.cairn.error;

/**
 * A remote object (HTTP or S3) that did not answer after every retry: an operational failure, not
 * damage in the snapshot. The message names the object, the last failure and the number of
 * attempts.
 *
 * <p>Immutable; thread-safe.
 */
public final class RemoteUnavailableException extends CairnException {
  private static final long serialVersionUID = 1L;

  public RemoteUnavailableException(String message, Throwable cause) {
    super(message, cause);
  }

  @Override
  public Category category() {
    return Category.REMOTE_UNAVAILABLE;
  }
}
