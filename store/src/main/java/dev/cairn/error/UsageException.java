package dev.cairn.error;

/**
 * Bad input from the user that no other kind names (a missing file, a wrong flag value, a mount
 * point in use): reported in one line, exit 2, and EIO should it ever reach a mount's request.
 *
 * <p>Immutable; thread-safe.
 */
public final class UsageException extends CairnException {
  private static final long serialVersionUID = 1L;

  /**
   * @param message the whole one-line message, naming the argument it is about
   */
  public UsageException(String message) {
    super(message);
  }

  @Override
  public Category category() {
    return Category.USAGE;
  }
}
