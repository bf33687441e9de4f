package dev.cairn.error;

/**
 * A header whose checksum holds but which asks for something this cairn does not implement (a
 * codec, hash algorithm, flag bit or cipher it does not know; encryption, which is not built yet; a
 * non-zero reserved byte) or breaks a rule every writer follows (two streams with one name, a name
 * that cannot be a file name, bytes that are not UTF-8). Random damage breaks the checksum first,
 * so such a header was written deliberately, by a newer or a foreign writer: like an unsupported
 * version it is the caller's input that is wrong and nothing is to be repaired, so it is a usage
 * error (exit 2), not corruption (exit 1). The message names the field and its value.
 *
 * <p>Immutable.
 */
public final class UnsupportedSnapshotException extends CairnException {
  private static final long serialVersionUID = 1L;

  /**
   * @param what the whole complaint after the file name, e.g. "unsupported snapshot: codec id 7"
   */
  public UnsupportedSnapshotException(String source, String what) {
    super(CorruptSnapshotException.oneLine(source + ": " + what));
  }

  @Override
  public Category category() {
    return Category.UNSUPPORTED_SNAPSHOT;
  }
}
