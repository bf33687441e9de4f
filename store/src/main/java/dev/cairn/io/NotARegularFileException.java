package dev.cairn.io;

import java.nio.file.FileSystemException;
import java.nio.file.Path;

/**
 * An output path that exists and is not a regular file (a device, a FIFO, a socket, a directory, a
 * symbolic link), which a writer must leave as it is. Immutable.
 */
public final class NotARegularFileException extends FileSystemException {
  private static final long serialVersionUID = 1L;

  private final String kind;

  NotARegularFileException(Path path, String kind) {
    super(path.toString(), null, "is " + kind + ", not a regular file; it is left as it is");
    this.kind = kind;
  }

  /** What the path is, with its article: "a character device", "a FIFO", "a symbolic link". */
  public String kind() {
    return kind;
  }
}
