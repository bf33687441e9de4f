package dev.cairn.format;

import java.nio.ByteBuffer;
import java.util.zip.CRC32C;

/** CRC32C over buffer ranges without disturbing the buffer. Stateless and thread-safe. */
public final class Crc32c {
  private Crc32c() {}

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
}
