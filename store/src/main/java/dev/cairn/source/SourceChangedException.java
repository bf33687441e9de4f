package dev.cairn.source;

import java.nio.file.FileSystemException;

/**
 * A local file shrank or was rewritten while a {@link ByteSource} had it open: an operational
 * failure of the read, not damage in the file (it is not an {@link java.io.EOFException}, which
 * readers take as a truncated file). Its message is "FILE: REASON".
 *
 * <p>Immutable; thread-safe.
 */
public final class SourceChangedException extends FileSystemException {
  private static final long serialVersionUID = 1L;

  public SourceChangedException(String file, String reason) {
    super(file, null, reason);
  }
}
