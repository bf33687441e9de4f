package dev.cairn.error;

import java.nio.file.Path;

/**
 * An output path that exists and is not a regular file (a device, a FIFO, a socket, a directory, a
 * symbolic link), which a writer must leave as it is. Immutable.
 */
public final class NotARegularFileException extends CairnException {
  private static final long serialVersionUID = 1L;

  private final String kind;

  public NotARegularFileException(Path path, String kind) {
    super(path + ": is " + kind + ", not a regular file; it is left as it is");
    this.kind = kind;
  }

  /** What the path is, with its article: "a character device", "a FIFO", "a symbolic link". */
  public String kind() {
    return kind;
  }

  @Override
  public Category category() {
    return Category.NOT_A_REGULAR_FILE;
  }
}
