package dev.cairn.error;

/**
 * A snapshot (or overlay) is encrypted and no key was given for it: a setting the user has to
 * supply, reported in one line naming the file and the options that give a key (exit 2), never as
 * damage.
 *
 * <p>Immutable.
 */
public final class MissingKeyException extends CairnException {
  private static final long serialVersionUID = 1L;

  public MissingKeyException(String source) {
    super(source + " is encrypted: give --key-file or --passphrase-env");
  }

  @Override
  public Category category() {
    return Category.MISSING_KEY;
  }
}
