package dev.cairn.error;

import java.io.IOException;

/**
 * A write that failed because the file system holding a file is full. Recognised once, where the
 * write is made, so that the layers above (the FUSE errno, the exit code) decide by type instead of
 * by matching the text of the JDK's message. The message is the original one, unchanged.
 *
 * <p>Immutable; thread-safe.
 */
public final class OutOfSpaceException extends CairnException {
  private static final long serialVersionUID = 1L;

  private OutOfSpaceException(IOException cause) {
    super(cause.getMessage(), cause);
  }

  /**
   * Returns {@code e} as an {@code OutOfSpaceException} when it reports a full file system, else
   * {@code e} itself. The JDK gives ENOSPC no type of its own; its message is the C library's
   * strerror text, "No space left on device", which is what is recognised.
   */
  public static IOException classify(IOException e) {
    String m = e.getMessage();
    return !(e instanceof CairnException) && m != null && m.contains("No space left")
        ? new OutOfSpaceException(e)
        : e;
  }

  @Override
  public Category category() {
    return Category.OUT_OF_SPACE;
  }
}
