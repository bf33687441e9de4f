package dev.cairn.codec;

import java.io.IOException;

/**
 * Compressed input that the codec rejects, or that decompresses to the wrong length. The reader
 * turns it into a corruption report naming the stream and block.
 */
public final class MalformedBlockException extends IOException {
  private static final long serialVersionUID = 1L;

  public MalformedBlockException(String message, Throwable cause) {
    super(message, cause);
  }
}
