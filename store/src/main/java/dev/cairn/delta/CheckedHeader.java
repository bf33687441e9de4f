package dev.cairn.delta;

import dev.cairn.error.CorruptStoreException;
import dev.cairn.io.Crc;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * Reads the fixed header at the start of a manifest log or a spill file: an 8-byte magic at offset
 * 0 and a CRC32C of the bytes before it at offset {@code crcAt}. Both are checked before any field
 * is believed; the caller checks the fields.
 *
 * <p><b>Thread safety:</b> stateless.
 */
final class CheckedHeader {
  private CheckedHeader() {}

  /**
   * Reads {@code length} bytes from offset 0 and checks magic and CRC; {@code what} names the file
   * kind in messages ("spill file").
   *
   * @return the header, little-endian, positioned at 0
   * @throws CorruptStoreException if the magic or the checksum is wrong
   */
  static ByteBuffer read(
      FileChannel ch, Path file, int length, byte[] magic, int crcAt, String what)
      throws IOException {
    ByteBuffer h = ByteBuffer.allocate(length).order(ByteOrder.LITTLE_ENDIAN);
    FileChannels.readFully(ch, h, 0, file);
    h.flip();
    if (!Arrays.equals(h.array(), 0, magic.length, magic, 0, magic.length)) {
      throw new CorruptStoreException(file, "not a Cairn " + what + " (bad magic)");
    }
    if (h.getInt(crcAt) != Crc.of(h, 0, crcAt)) {
      throw new CorruptStoreException(file, what + " header checksum mismatch (CRC32C)");
    }
    return h;
  }
}
