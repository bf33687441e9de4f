package dev.cairn.error;

/**
 * A local file shrank or was rewritten while a {@link dev.cairn.source.ByteSource} had it open: an
 * operational failure of the read, not damage in the file (it is not an {@link
 * java.io.EOFException}, which readers take as a truncated file). Its message is "FILE: REASON".
 *
 * <p>Immutable; thread-safe.
 */
public final class SourceChangedException extends CairnException {
  private static final long serialVersionUID = 1L;

  public SourceChangedException(String file, String reason) {
    super(file + ": " + reason);
  }

  @Override
  public Category category() {
    return Category.SOURCE_CHANGED;
  }
}
