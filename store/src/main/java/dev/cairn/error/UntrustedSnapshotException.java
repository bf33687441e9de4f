package dev.cairn.error;

/**
 * A snapshot read with trusted keys ({@code --trust}) cannot be shown to come from one of them: it
 * has no signature, its signature is by another key or does not verify, or its signed digests do
 * not match its header, footer or parent. Reported in one line naming the file and what failed
 * (exit 1: the snapshot, not the command line, is what is wrong); nothing of such a snapshot is
 * read. A single block or index page that does not match its signed digest is a {@link
 * CorruptSnapshotException} naming the block instead, so that the rest of the snapshot stays
 * readable.
 *
 * <p>Immutable.
 */
public final class UntrustedSnapshotException extends CairnException {
  private static final long serialVersionUID = 1L;

  public UntrustedSnapshotException(String source, String what) {
    super(source + ": " + what);
  }

  @Override
  public Category category() {
    return Category.UNTRUSTED;
  }
}
