package dev.cairn.read;

import java.io.IOException;
import java.io.UncheckedIOException;

/** Carries a block load's {@link IOException} through the cache's functional loader. Internal. */
final class UncheckedBlockException extends UncheckedIOException {
  private static final long serialVersionUID = 1L;

  UncheckedBlockException(IOException cause) {
    super(cause);
  }
}
