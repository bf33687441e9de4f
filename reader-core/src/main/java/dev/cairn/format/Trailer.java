package dev.cairn.format;

import dev.cairn.error.CorruptSnapshotException;
import dev.cairn.io.Crc;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The fixed-size record at the very end of a snapshot. It is written last, so a file cut short
 * anywhere has no valid trailer and is never mistaken for a complete snapshot.
 *
 * <p>Layout (little-endian, {@value #LENGTH} bytes):
 *
 * <pre>
 *  0  8  magic "CAIRNEND"
 *  8  8  footer offset
 * 16  4  footer length
 * 20  4  footer CRC32C
 * 24 16  snapshot id (must equal the header's)
 * 40  4  reserved, zero
 * 44  4  CRC32C of bytes [0, 44)
 * </pre>
 *
 * <p>Immutable.
 */
public record Trailer(long footerOffset, int footerLength, int footerCrc, SnapshotId snapshotId) {
  public static final int LENGTH = 48;
  private static final long MAGIC = 0x444E454E52494143L; // "CAIRNEND" read little-endian

  /** Parses the last {@value #LENGTH} bytes of a file of {@code fileSize} bytes. */
  public static Trailer parse(ByteBuffer buf, long fileSize, String source)
      throws CorruptSnapshotException {
    ByteBuffer b = buf.slice().order(ByteOrder.LITTLE_ENDIAN);
    if (b.remaining() < LENGTH || b.getLong(0) != MAGIC) {
      throw new CorruptSnapshotException(
          source, "no trailer at the end of the file (truncated or still being written?)");
    }
    if (b.getInt(44) != Crc.of(b, 0, 44)) {
      throw new CorruptSnapshotException(source, "trailer checksum mismatch");
    }
    if (b.getInt(40) != 0) {
      throw new CorruptSnapshotException(source, "trailer reserved bytes are not zero");
    }
    long offset = b.getLong(8);
    int length = b.getInt(16);
    if (length < 8 || offset < 0 || offset + length != fileSize - LENGTH) {
      throw new CorruptSnapshotException(
          source,
          "trailer says the footer is "
              + Integer.toUnsignedString(length)
              + " bytes at "
              + offset
              + ", which does not end where the trailer starts (file truncated or extended?)");
    }
    b.position(24);
    return new Trailer(offset, length, b.getInt(20), SnapshotId.read(b));
  }

  public ByteBuffer encode() {
    ByteBuffer b = ByteBuffer.allocate(LENGTH).order(ByteOrder.LITTLE_ENDIAN);
    b.putLong(MAGIC).putLong(footerOffset).putInt(footerLength).putInt(footerCrc);
    snapshotId.write(b);
    b.putInt(0);
    b.putInt(Crc.of(b, 0, 44));
    return b.flip();
  }
}
