package dev.cairn.source;

import java.io.EOFException;
import java.io.IOException;
import java.nio.channels.ClosedChannelException;

/**
 * The checks {@link ByteSource#readFully} promises before any byte moves, for the sources that do
 * not get them from a file channel: the remote source, the chunk cache in front of it, a verifying
 * decorator. Stateless.
 */
public final class RangeCheck {
  private RangeCheck() {}

  /**
   * Fails as the contract says if the source is closed, {@code position} is negative, or the range
   * of {@code length} bytes at {@code position} ends past {@code size}.
   */
  public static void check(boolean closed, String name, long size, long position, int length)
      throws IOException {
    if (closed) {
      throw new ClosedChannelException();
    }
    if (position < 0) {
      throw new IllegalArgumentException("negative position " + position);
    }
    if (position + length > size || position + length < 0) {
      throw new EOFException(
          name + ": read of " + length + " bytes at " + position + " past end " + size);
    }
  }
}
