package dev.cairn.format;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.HexFormat;

/**
 * One block's index entry.
 *
 * <p>Layout (little-endian, {@value #LENGTH} bytes):
 *
 * <pre>
 *  0  1  kind (0 zero, 1 compressed, 2 raw, 3 parent)
 *  1  3  reserved, zero
 *  4  4  stored length (0 unless the kind has data)
 *  8  8  file offset of the stored bytes (0 unless the kind has data)
 * 16  4  CRC32C of the stored bytes
 * 20  4  reserved, zero
 * 24 16  content hash of the logical bytes, by the header's algorithm (byte 43, {@link
 *         HashAlgorithm}): the first 16 bytes of SHA-256 in format 1.0 snapshots, XXH3-128 in
 *         1.1 ones (or SHA-256/128 in a thin 1.1 snapshot of a 1.0 parent, whose algorithm it keeps)
 * </pre>
 *
 * <p>Reserved bytes are zero; {@link IndexPage#parse} refuses an entry where they are not.
 *
 * <p>Immutable; {@code contentHash} is not copied, treat it as read-only.
 */
public record BlockEntry(
    BlockKind kind, int storedLength, long offset, int storedCrc, byte[] contentHash) {
  public static final int LENGTH = 40;
  public static final int HASH_LENGTH = 16;

  public BlockEntry {
    if (contentHash.length != HASH_LENGTH) {
      throw new IllegalArgumentException("content hash must be 16 bytes");
    }
  }

  /** Writes the entry at the buffer's position, advancing it. */
  public void write(ByteBuffer b) {
    ByteBuffer le =
        b.order() == ByteOrder.LITTLE_ENDIAN ? b : b.duplicate().order(ByteOrder.LITTLE_ENDIAN);
    int p = b.position();
    le.put(p, (byte) kind.id());
    le.put(p + 1, (byte) 0).put(p + 2, (byte) 0).put(p + 3, (byte) 0);
    le.putInt(p + 4, storedLength);
    le.putLong(p + 8, offset);
    le.putInt(p + 16, storedCrc);
    le.putInt(p + 20, 0);
    le.put(p + 24, contentHash);
    b.position(p + LENGTH);
  }

  /** True if both entries describe the same logical bytes. */
  public boolean sameContent(BlockEntry other) {
    return Arrays.equals(contentHash, other.contentHash);
  }

  public String hashHex() {
    return HexFormat.of().formatHex(contentHash);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof BlockEntry e
        && kind == e.kind
        && storedLength == e.storedLength
        && offset == e.offset
        && storedCrc == e.storedCrc
        && Arrays.equals(contentHash, e.contentHash);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(contentHash) * 31 + Long.hashCode(offset);
  }

  @Override
  public String toString() {
    return kind
        + "["
        + storedLength
        + "@"
        + offset
        + " crc="
        + Integer.toHexString(storedCrc)
        + " hash="
        + hashHex()
        + "]";
  }
}
