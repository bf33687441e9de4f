package dev.cairn.error;

import java.nio.file.Path;

/**
 * A durable file of a writable layer (manifest snapshot, manifest log header, spill file header or
 * a spill record that is referenced) does not check out: a bad magic, version, length or checksum.
 * Unlike a torn tail, which a crash leaves behind and which is repaired silently, this is damage
 * that no crash of Cairn can cause, so it is reported instead of being repaired by throwing data
 * away. The message is one line naming the file and what is wrong.
 *
 * <p>Immutable.
 */
public final class CorruptStoreException extends CairnException {
  private static final long serialVersionUID = 1L;

  private final transient Path file;

  public CorruptStoreException(Path file, String what) {
    this(file, what, null);
  }

  public CorruptStoreException(Path file, String what, Throwable cause) {
    super(file + ": " + what, cause);
    this.file = file;
  }

  /** The damaged file. */
  public Path file() {
    return file;
  }

  @Override
  public Category category() {
    return Category.CORRUPT_STORE;
  }
}
