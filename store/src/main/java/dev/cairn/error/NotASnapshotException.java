package dev.cairn.error;

/** The file is not a Cairn snapshot at all (wrong magic, too short to be one). */
public final class NotASnapshotException extends CairnException {
  private static final long serialVersionUID = 1L;

  public NotASnapshotException(String source, String why) {
    super(source + ": not a Cairn snapshot (" + why + ")");
  }

  @Override
  public Category category() {
    return Category.NOT_A_SNAPSHOT;
  }
}
