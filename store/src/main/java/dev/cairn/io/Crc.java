package dev.cairn.io;

import java.nio.ByteBuffer;
import java.util.zip.CRC32C;

/** CRC32C over buffer ranges without disturbing the buffer. Stateless and thread-safe. */
public final class Crc {
  private Crc() {}

  /** CRC32C of {@code buf}'s bytes from {@code from} (inclusive) to {@code to} (exclusive). */
  public static int of(ByteBuffer buf, int from, int to) {
    CRC32C crc = new CRC32C();
    crc.update(buf.duplicate().limit(to).position(from));
    return (int) crc.getValue();
  }

  /** CRC32C of the remaining bytes of {@code buf}; its position is not changed. */
  public static int ofRemaining(ByteBuffer buf) {
    return of(buf, buf.position(), buf.limit());
  }

  /**
   * CRC32C of two ranges of {@code buf} taken one after the other: a frame's length field and its
   * body, skipping the checksum field that sits between them.
   */
  public static int of(ByteBuffer buf, int from1, int to1, int from2, int to2) {
    CRC32C crc = new CRC32C();
    crc.update(buf.duplicate().limit(to1).position(from1));
    crc.update(buf.duplicate().limit(to2).position(from2));
    return (int) crc.getValue();
  }
}
