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
 * <p>Little-endian; offsets in bytes; A = {@value Manifest#ATTRIBUTES}. A plain snapshot (version
 * 1):
 *
 * <pre>
 *   0   8  magic "CAIRNMAN" (43 41 49 52 4E 4D 41 4E)
 *   8   2  version: 1 plain, 2 sealed (see below)
 *  10   2  attribute count A (8)
 *  12   4  reserved, zero
 *  16   8  generation G
 *  24   8  entry count n
 *  32  8A  attributes 0..A-1 (i64 each)
 *  32+8A  16n  entries: i64 key (non-negative, unique), i64 value; in no particular order
 *  L-4   4  CRC32C of bytes [0, L-4), where L = 32 + 8A + 16n + 4 is the file length
 * </pre>
 *
 * A sealed snapshot (version 2) has the same first 32 bytes and the same body, attributes then
 * entries, T = 8A + 16n bytes, but sealed ({@link RecordCipher}) in segments of {@value #SEGMENT}
 * bytes of body (65 536 entries; the last segment shorter), so that neither side holds the whole
 * map twice:
 *
 * <pre>
 *   32   …  segment 0, 1, …, S-1 with S = ceil(T / 1 MiB), each: nonce (12, random), the segment's
 *           body bytes encrypted, GCM tag (16)
 *  L-4   4  CRC32C of bytes [0, L-4), where L = 32 + T + 28 S + 4
 * </pre>
 *
 * Segment k's associated data (40 bytes) is the file's bytes [0, 32) (so the generation and the
 * entry count are authenticated) followed by k (i64): a segment cannot be moved, dropped or taken
 * from another generation (or another overlay: each has its own key).
 *
 * <p>Any damage is {@link CorruptStoreException}: a snapshot is only ever published whole by a
 * rename, so unlike the log it has no torn tail to forgive. The CRC32C is checked first; a sealed
 * segment that does not authenticate under a matching CRC is reported as such.
 *
 * <p><b>Thread safety:</b> stateless; each call uses its own buffers.
 */
final class ManifestSnapshot {
  /** The length of everything before the entries in a plain snapshot. */
  static final int HEADER_LENGTH = 32 + 8 * Manifest.ATTRIBUTES;

  /** Body bytes per sealed segment; a multiple of 16, so entries never straddle two. */
  static final int SEGMENT = 1 << 20;

  private static final int FIXED = 32;
  private static final int VERSION_PLAIN = 1;
  private static final int VERSION_SEALED = 2;
  private static final byte[] MAGIC = "CAIRNMAN".getBytes(StandardCharsets.US_ASCII);
  private static final int IO_BUFFER = 1 << 20;

  private ManifestSnapshot() {}

  /** The length of a snapshot of {@code count} entries whose segments carry {@code overhead}. */
  static long length(long count, int overhead) {
    long body = 8L * Manifest.ATTRIBUTES + 16 * count;
    long segments = overhead == 0 ? 0 : (body + SEGMENT - 1) / SEGMENT;
    return FIXED + body + overhead * segments + 4;
  }

  /**
   * Reads and checks a snapshot of {@code size} bytes, sealed unless {@code cipher} is plain, into
   * {@code map} and {@code attributes}; returns its generation.
   */
  static long read(
      FileChannel ch, Path file, long size, RecordCipher cipher, long[] attributes, LongLongMap map)
      throws IOException {
    if (size < HEADER_LENGTH + 4) {
      throw new CorruptStoreException(file, "manifest snapshot is truncated (" + size + " bytes)");
    }
    CRC32C crc = new CRC32C();
    ByteBuffer head = newBuffer(FIXED);
    FileChannels.readFully(ch, head, 0, file);
    head.flip();
    crc.update(head.duplicate());
    if (!Arrays.equals(head.array(), 0, MAGIC.length, MAGIC, 0, MAGIC.length)) {
      throw new CorruptStoreException(file, "not a Cairn manifest snapshot (bad magic)");
    }
    int version = Short.toUnsignedInt(head.getShort(8));
    int attributeCount = Short.toUnsignedInt(head.getShort(10));
    long generation = head.getLong(16);
    long count = head.getLong(24);
    int overhead = cipher.overhead();
    // The checksum is checked before any field is believed, so that a damaged file is reported as
    // a checksum mismatch rather than as whatever its garbage happens to look like.
    String problem = null;
    if (version != VERSION_PLAIN && version != VERSION_SEALED) {
      problem =
          "unsupported manifest version " + version + " (this build reads " + VERSION_SEALED + ")";
    } else if ((version == VERSION_SEALED) == cipher.isPlain()) {
      problem =
          version == VERSION_SEALED
              ? "encrypted, but the store was opened without a key"
              : "not encrypted, but the store is (refusing plain records)";
    } else if (attributeCount != Manifest.ATTRIBUTES) {
      problem = "attribute count " + attributeCount + ", expected " + Manifest.ATTRIBUTES;
    } else if (count < 0 || count > (size - HEADER_LENGTH - 4) / 16) {
      problem = "entry count " + count + " does not fit in " + size + " bytes";
    } else if (size != length(count, overhead)) {
      problem = "length " + size + " does not match " + count + " entries";
    } else if (generation < 0) {
      problem = "negative generation " + generation;
    }
    Body body = problem == null ? new Body(attributes, map) : null;
    if (body != null) {
      map.clear();
    }
    long pos = FIXED;
    long end = size - 4;
    ByteBuffer buf = newBuffer(Math.max(IO_BUFFER, SEGMENT + overhead));
    ByteBuffer plain = overhead == 0 ? null : newBuffer(SEGMENT);
    long segment = 0;
    while (pos < end) {
      // A sealed segment holds SEGMENT body bytes (the last one fewer) and its overhead.
      int stored =
          (int) Math.min(end - pos, body != null && overhead > 0 ? SEGMENT + overhead : IO_BUFFER);
      buf.clear().limit(stored);
      FileChannels.readFully(ch, buf, pos, file);
      buf.flip();
      crc.update(buf.duplicate());
      pos += stored;
      if (body == null) {
        continue; // only the checksum, to tell damage from a genuine format problem
      }
      ByteBuffer bytes = buf;
      if (plain != null) {
        plain.clear();
        if (!cipher.open(segmentAad(head, segment), buf, plain)) {
          problem =
              "segment "
                  + segment
                  + " does not authenticate (AES-GCM): altered, moved or sealed under another key";
          body = null;
          continue;
        }
        bytes = plain.flip();
        segment++;
      }
      String bad = body.take(bytes);
      if (bad != null) {
        problem = bad;
        body = null;
      }
    }
    ByteBuffer stored = newBuffer(4);
    FileChannels.readFully(ch, stored, end, file);
    if (stored.flip().getInt() != (int) crc.getValue()) {
      throw new CorruptStoreException(file, "manifest snapshot checksum mismatch (CRC32C)");
    }
    if (problem != null) {
      throw new CorruptStoreException(file, "manifest snapshot: " + problem);
    }
    return generation;
  }

  /** Takes the body's bytes, attributes then entries, in pieces of whole longs. */
  private static final class Body {
    private final long[] attributes;
    private final LongLongMap map;
    private int attributesRead;
    private long key = -1;

    Body(long[] attributes, LongLongMap map) {
      this.attributes = attributes;
      this.map = map;
    }

    /** Returns what is wrong with the entries in {@code b}, or null. */
    String take(ByteBuffer b) {
      while (b.remaining() >= 8) {
        long v = b.getLong();
        if (attributesRead < Manifest.ATTRIBUTES) {
          attributes[attributesRead++] = v;
        } else if (key < 0) {
          if (v < 0) {
            return "negative key " + v;
          }
          key = v;
        } else {
          if (!map.put(key, v)) {
            return "duplicate key " + key;
          }
          key = -1;
        }
      }
      return null;
    }
  }

  /**
   * Writes and forces a snapshot to {@code file}, replacing its contents, sealed unless {@code
   * cipher} is plain; returns its length.
   */
  static long write(
      Path file, long generation, LongLongMap map, long[] attributes, RecordCipher cipher)
      throws IOException {
    try (FileChannel ch =
        PrivateFiles.open(
            file,
            StandardOpenOption.CREATE,
            StandardOpenOption.TRUNCATE_EXISTING,
            StandardOpenOption.WRITE)) {
      ByteBuffer head = newBuffer(FIXED);
      head.put(MAGIC)
          .putShort((short) (cipher.isPlain() ? VERSION_PLAIN : VERSION_SEALED))
          .putShort((short) Manifest.ATTRIBUTES)
          .putInt(0)
          .putLong(generation)
          .putLong(map.size())
          .flip();
      Out out = new Out(ch, cipher, head);
      for (long a : attributes) {
        out.putLong(a);
      }
      LongLongMap.Cursor c = map.cursor();
      while (c.next()) {
        out.putLong(c.key());
        out.putLong(c.value());
      }
      return out.finish();
    }
  }

  /**
   * The writing end: the fixed bytes as they are, then the body through a {@value #SEGMENT}-byte
   * buffer, each full buffer (and the last part) written plain or sealed as one segment.
   */
  private static final class Out {
    private final FileChannel ch;
    private final RecordCipher cipher;
    private final ByteBuffer head;
    private final ByteBuffer buf = newBuffer(SEGMENT);
    private final ByteBuffer sealed;
    private final CRC32C crc = new CRC32C();
    private long segment;
    private long written;

    Out(FileChannel ch, RecordCipher cipher, ByteBuffer head) throws IOException {
      this.ch = ch;
      this.cipher = cipher;
      this.head = head;
      this.sealed = cipher.isPlain() ? null : newBuffer(SEGMENT + cipher.overhead());
      emit(head.duplicate());
    }

    void putLong(long v) throws IOException {
      if (!buf.hasRemaining()) {
        flushBody();
      }
      buf.putLong(v);
    }

    /** Writes what is buffered, the checksum, and forces the file; returns the file's length. */
    long finish() throws IOException {
      if (buf.position() > 0) {
        flushBody();
      }
      ByteBuffer tail = newBuffer(4).putInt((int) crc.getValue()).flip();
      written += tail.remaining();
      FileChannels.writeFully(ch, tail);
      ch.force(true);
      return written;
    }

    private void flushBody() throws IOException {
      buf.flip();
      if (sealed == null) {
        emit(buf);
      } else {
        sealed.clear();
        cipher.seal(segmentAad(head, segment++), buf, sealed);
        emit(sealed.flip());
      }
      buf.clear();
    }

    private void emit(ByteBuffer b) throws IOException {
      crc.update(b.duplicate());
      written += b.remaining();
      FileChannels.writeFully(ch, b);
    }
  }

  /** Segment {@code k}'s associated data: the fixed 32 bytes in {@code head}, then k. */
  private static byte[] segmentAad(ByteBuffer head, long k) {
    ByteBuffer a = newBuffer(FIXED + 8);
    a.put(head.duplicate().clear().limit(FIXED)).putLong(k);
    return a.array();
  }

  private static ByteBuffer newBuffer(int capacity) {
    return ByteBuffer.allocate(capacity).order(ByteOrder.LITTLE_ENDIAN);
  }
}
