package dev.cairn.error;

/**
 * A key option cannot be used: a key file that is not 32 bytes (or 64 hex digits), cannot be read,
 * or a passphrase variable that is unset or empty. The user's input, reported in one line naming
 * the file or variable (exit 2).
 *
 * <p>Immutable.
 */
public final class BadKeyException extends CairnException {
  private static final long serialVersionUID = 1L;

  public BadKeyException(String message) {
    super(message);
  }

  @Override
  public Category category() {
    return Category.BAD_KEY;
  }
}
