package dev.cairn.delta;

import dev.cairn.error.CorruptStoreException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.zip.CRC32C;

/**
 * The codec of a manifest's snapshot file: the whole map and its attributes as of one generation.
 *
 * <p>Little-endian; offsets in bytes; A = {@value Manifest#ATTRIBUTES}:
 *
 * <pre>
 *   0   8  magic "CAIRNMAN" (43 41 49 52 4E 4D 41 4E)
 *   8   2  version (1)
 *  10   2  attribute count A (8)
 *  12   4  reserved, zero
 *  16   8  generation G
 *  24   8  entry count n
 *  32  8A  attributes 0..A-1 (i64 each)
 *  32+8A  16n  entries: i64 key (non-negative, unique), i64 value; in no particular order
 *  L-4   4  CRC32C of bytes [0, L-4), where L = 32 + 8A + 16n + 4 is the file length
 * </pre>
 *
 * Any damage is {@link CorruptStoreException}: a snapshot is only ever published whole by a rename,
 * so unlike the log it has no torn tail to forgive.
 *
 * <p><b>Thread safety:</b> stateless; each call uses its own buffers.
 */
final class ManifestSnapshot {
  /** The length of everything before the entries. */
  static final int HEADER_LENGTH = 32 + 8 * Manifest.ATTRIBUTES;

  private static final int VERSION = 1;
  private static final byte[] MAGIC = "CAIRNMAN".getBytes(StandardCharsets.US_ASCII);
  private static final int IO_BUFFER = 1 << 20;

  private ManifestSnapshot() {}

  /**
   * Reads and checks a snapshot of {@code size} bytes into {@code map} and {@code attributes};
   * returns its generation.
   */
  static long read(FileChannel ch, Path file, long size, long[] attributes, LongLongMap map)
      throws IOException {
    if (size < HEADER_LENGTH + 4) {
      throw new CorruptStoreException(file, "manifest snapshot is truncated (" + size + " bytes)");
    }
    ByteBuffer buf = newBuffer();
    CRC32C crc = new CRC32C();
    FileChannels.readFully(ch, buf.limit(HEADER_LENGTH), 0, file);
    buf.flip();
    crc.update(buf.duplicate());
    byte[] magic = new byte[8];
    buf.get(magic);
    if (!Arrays.equals(magic, MAGIC)) {
      throw new CorruptStoreException(file, "not a Cairn manifest snapshot (bad magic)");
    }
    int version = Short.toUnsignedInt(buf.getShort());
    int attributeCount = Short.toUnsignedInt(buf.getShort());
    buf.getInt();
    long generation = buf.getLong();
    long count = buf.getLong();
    for (int i = 0; i < Manifest.ATTRIBUTES; i++) {
      attributes[i] = buf.getLong();
    }
    // The checksum is checked before any field is believed, so that a damaged file is reported as
    // a checksum mismatch rather than as whatever its garbage happens to look like.
    String problem = null;
    if (version != VERSION) {
      problem = "unsupported manifest version " + version + " (this build reads " + VERSION + ")";
    } else if (attributeCount != Manifest.ATTRIBUTES) {
      problem = "attribute count " + attributeCount + ", expected " + Manifest.ATTRIBUTES;
    } else if (count < 0 || count > (size - HEADER_LENGTH - 4) / 16) {
      problem = "entry count " + count + " does not fit in " + size + " bytes";
    } else if (size != HEADER_LENGTH + 16 * count + 4) {
      problem = "length " + size + " does not match " + count + " entries";
    } else if (generation < 0) {
      problem = "negative generation " + generation;
    }
    long pos = HEADER_LENGTH;
    long end = size - 4;
    if (problem == null) {
      map.clear();
      while (pos < end) {
        buf.clear().limit((int) Math.min(IO_BUFFER, end - pos));
        FileChannels.readFully(ch, buf, pos, file);
        buf.flip();
        crc.update(buf.duplicate());
        pos += buf.remaining();
        while (buf.hasRemaining()) {
          long key = buf.getLong();
          long value = buf.getLong();
          if (problem != null) {
            continue;
          }
          if (key < 0) {
            problem = "negative key " + key;
          } else if (!map.put(key, value)) {
            problem = "duplicate key " + key;
          }
        }
      }
    } else {
      // Still run the checksum over the rest, to tell damage from a genuine format problem.
      while (pos < end) {
        buf.clear().limit((int) Math.min(IO_BUFFER, end - pos));
        FileChannels.readFully(ch, buf, pos, file);
        buf.flip();
        crc.update(buf);
        pos += buf.limit();
      }
    }
    buf.clear().limit(4);
    FileChannels.readFully(ch, buf, end, file);
    int stored = buf.flip().getInt();
    if (stored != (int) crc.getValue()) {
      throw new CorruptStoreException(file, "manifest snapshot checksum mismatch (CRC32C)");
    }
    if (problem != null) {
      throw new CorruptStoreException(file, "manifest snapshot: " + problem);
    }
    return generation;
  }

  /** Writes and forces a snapshot to {@code file}, replacing its contents; returns its length. */
  static long write(Path file, long generation, LongLongMap map, long[] attributes)
      throws IOException {
    try (FileChannel ch =
        PrivateFiles.open(
            file,
            StandardOpenOption.CREATE,
            StandardOpenOption.TRUNCATE_EXISTING,
            StandardOpenOption.WRITE)) {
      ByteBuffer buf = newBuffer();
      CRC32C crc = new CRC32C();
      buf.put(MAGIC)
          .putShort((short) VERSION)
          .putShort((short) Manifest.ATTRIBUTES)
          .putInt(0)
          .putLong(generation)
          .putLong(map.size());
      for (long a : attributes) {
        buf.putLong(a);
      }
      long written = 0;
      LongLongMap.Cursor c = map.cursor();
      while (c.next()) {
        if (buf.remaining() < 16) {
          written += flush(ch, buf, crc);
        }
        buf.putLong(c.key()).putLong(c.value());
      }
      if (buf.remaining() < 4) {
        written += flush(ch, buf, crc);
      }
      buf.flip();
      crc.update(buf.duplicate());
      buf.position(buf.limit()).limit(buf.capacity());
      buf.putInt((int) crc.getValue());
      buf.flip();
      written += buf.remaining();
      FileChannels.writeFully(ch, buf);
      ch.force(true);
      return written;
    }
  }

  private static int flush(FileChannel ch, ByteBuffer buf, CRC32C crc) throws IOException {
    buf.flip();
    crc.update(buf.duplicate());
    int n = buf.remaining();
    FileChannels.writeFully(ch, buf);
    buf.clear();
    return n;
  }

  private static ByteBuffer newBuffer() {
    return ByteBuffer.allocate(IO_BUFFER).order(ByteOrder.LITTLE_ENDIAN);
  }
}
