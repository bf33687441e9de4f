package dev.cairn.error;

/**
 * An operation on an object (a store, a spill file) after it was closed: a failure of the caller's
 * lifecycle, reported as an I/O error. The message is "SUBJECT is closed".
 *
 * <p>Immutable; thread-safe.
 */
public final class ClosedException extends CairnException {
  private static final long serialVersionUID = 1L;

  /**
   * @param subject what was closed, as the message should name it, e.g. "store in /var/lib/x"
   */
  public ClosedException(String subject) {
    super(subject + " is closed");
  }

  @Override
  public Category category() {
    return Category.CLOSED;
  }
}
