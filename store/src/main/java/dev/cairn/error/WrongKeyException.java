package dev.cairn.error;

/**
 * None of the keys given opens an encrypted snapshot (or overlay): its key-check value, derived
 * from the key and the snapshot id, does not match. Reported in one line naming the file (exit 2),
 * never as damage: a wrong key is told apart from corruption before any block is decrypted.
 *
 * <p>Immutable.
 */
public final class WrongKeyException extends CairnException {
  private static final long serialVersionUID = 1L;

  public WrongKeyException(String source, String tried) {
    super("wrong key for " + source + " (tried " + tried + ")");
  }

  @Override
  public Category category() {
    return Category.WRONG_KEY;
  }
}
