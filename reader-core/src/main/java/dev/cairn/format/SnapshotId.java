package dev.cairn.format;

import java.nio.ByteBuffer;
import java.security.SecureRandom;
import java.util.HexFormat;

/**
 * A snapshot's random 128-bit identity, fixed when the snapshot is written. Children name their
 * parent by it, and encryption binds every block to it. Immutable.
 */
public record SnapshotId(long high, long low) {
  /** The all-zero id, which means "none" in the parent field. */
  public static final SnapshotId NONE = new SnapshotId(0, 0);

  private static final SecureRandom RANDOM = new SecureRandom();

  /** A fresh random id (never {@link #NONE}). */
  public static SnapshotId random() {
    SnapshotId id;
    do {
      id = new SnapshotId(RANDOM.nextLong(), RANDOM.nextLong());
    } while (id.isNone());
    return id;
  }

  /** Reads 16 bytes at the buffer's position, advancing it. */
  public static SnapshotId read(ByteBuffer buf) {
    byte[] b = new byte[16];
    buf.get(b);
    return ofBytes(b);
  }

  /** Parses 32 hexadecimal digits. */
  public static SnapshotId parse(String hex) {
    if (hex.length() != 32) {
      throw new IllegalArgumentException("snapshot id must be 32 hex digits: " + hex);
    }
    return ofBytes(HexFormat.of().parseHex(hex));
  }

  private static SnapshotId ofBytes(byte[] b) {
    ByteBuffer bb = ByteBuffer.wrap(b);
    return new SnapshotId(bb.getLong(), bb.getLong());
  }

  /** The id as 16 big-endian bytes (the order it is written and printed in). */
  public byte[] toBytes() {
    return ByteBuffer.allocate(16).putLong(high).putLong(low).array();
  }

  /** Writes the 16 bytes at the buffer's position, advancing it. */
  public void write(ByteBuffer buf) {
    buf.put(toBytes());
  }

  public boolean isNone() {
    return high == 0 && low == 0;
  }

  @Override
  public String toString() {
    return HexFormat.of().formatHex(toBytes());
  }
}
