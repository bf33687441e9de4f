package dev.cairn.error;

/**
 * A thin snapshot's parent could not be found, or the file found where it should be is a different
 * snapshot. The message names the expected parent id and every path tried.
 */
public final class MissingParentException extends CairnException {
  private static final long serialVersionUID = 1L;

  public MissingParentException(String message) {
    super(message);
  }

  @Override
  public Category category() {
    return Category.MISSING_PARENT;
  }
}
