package dev.cairn.delta;

import dev.cairn.error.CorruptStoreException;
import dev.cairn.io.Crc;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.zip.CRC32C;

/**
 * The codec of the spill file's header and record heads, and the checks a record must pass before
 * its bytes are believed.
 *
 * <p>Little-endian; offsets in bytes. Header:
 *
 * <pre>
 *   0   8  magic "CAIRNSPL" (43 41 49 52 4E 53 50 4C)
 *   8   2  version (1)
 *  10   2  compressor id ({@link ChunkCompressor#id()})
 *  12   4  chunk size C (a power of two, 512 .. 1 MiB)
 *  16   8  generation (the spill file's number; see StoreFiles)
 *  24   2  chunks per record G (1 .. 256)
 *  26   2  reserved, zero
 *  28   4  CRC32C of bytes [0, 28)
 *  32   …  records, back to back
 * </pre>
 *
 * Each record, at offset R:
 *
 * <pre>
 *   0   4  magic "CSPR" (43 53 50 52)
 *   4   4  record length L, from byte 0 to the end of the payload
 *   8   4  CRC32C of the record's bytes [0, 8) followed by its bytes [12, L)
 *  12   2  chunk count n (1 .. G)
 *  14   1  encoding: 0 raw (payload is n × C bytes), 1 compressed (payload decompresses to n × C)
 *  15   1  reserved, zero
 *  16  8n  chunk ids (i64 each), slot 0 first
 *  16+8n   payload, L - 16 - 8n bytes: the chunks of slots 0..n-1, back to back
 * </pre>
 *
 * A chunk's location is {@code R << 8 | slot}.
 *
 * <p><b>Thread safety:</b> stateless; callers own the buffers they pass.
 */
final class SpillFormat {
  static final int HEADER_LENGTH = 32;
  static final int RECORD_HEAD = 16;
  static final byte RAW = 0;
  static final byte COMPRESSED = 1;
  static final int MAX_CHUNKS_PER_RECORD = 256;
  static final int MIN_CHUNK_SIZE = 512;
  static final int MAX_CHUNK_SIZE = 1 << 20;

  private static final int VERSION = 1;
  private static final byte[] MAGIC = "CAIRNSPL".getBytes(StandardCharsets.US_ASCII);
  private static final int RECORD_MAGIC = 0x52505343; // "CSPR" read little-endian

  /** A spill file's header fields. */
  record Header(int compressorId, int chunkSize, long generation, int groupChunks) {}

  private SpillFormat() {}

  /**
   * Checks the shape of a file about to be created.
   *
   * @throws IllegalArgumentException if the format cannot hold it
   */
  static void checkShape(int chunkSize, int groupChunks) {
    if (Integer.bitCount(chunkSize) != 1
        || chunkSize < MIN_CHUNK_SIZE
        || chunkSize > MAX_CHUNK_SIZE) {
      throw new IllegalArgumentException("chunk size must be a power of two, 512..1M");
    }
    if (groupChunks < 1 || groupChunks > MAX_CHUNKS_PER_RECORD) {
      throw new IllegalArgumentException("chunks per record must be 1.." + MAX_CHUNKS_PER_RECORD);
    }
    if ((long) chunkSize * groupChunks > 16 << 20) {
      throw new IllegalArgumentException("records of more than 16 MiB");
    }
  }

  /** The longest record a file of this shape can hold. */
  static int maxRecordLength(ChunkCompressor c, int chunkSize, int groupChunks) {
    int raw = chunkSize * groupChunks;
    return RECORD_HEAD + 8 * groupChunks + Math.max(raw, c.maxCompressedLength(raw));
  }

  /** Writes the header at offset 0 (not forced). */
  static void writeHeader(FileChannel ch, Header h) throws IOException {
    ByteBuffer b = newBuffer(HEADER_LENGTH);
    b.put(MAGIC)
        .putShort((short) VERSION)
        .putShort((short) h.compressorId())
        .putInt(h.chunkSize())
        .putLong(h.generation())
        .putShort((short) h.groupChunks())
        .putShort((short) 0);
    b.putInt(Crc.of(b, 0, 28)).flip();
    FileChannels.writeFully(ch, b, 0);
  }

  /**
   * Reads and checks the header of a file of {@code size} bytes written with {@code compressor}.
   *
   * @throws CorruptStoreException if it is damaged or names another compressor
   */
  static Header readHeader(FileChannel ch, Path file, long size, ChunkCompressor compressor)
      throws IOException {
    if (size < HEADER_LENGTH) {
      throw new CorruptStoreException(file, "spill file is truncated (" + size + " bytes)");
    }
    ByteBuffer h = CheckedHeader.read(ch, file, HEADER_LENGTH, MAGIC, 28, "spill file");
    int version = Short.toUnsignedInt(h.getShort(8));
    int compressorId = Short.toUnsignedInt(h.getShort(10));
    int chunkSize = h.getInt(12);
    long generation = h.getLong(16);
    int groupChunks = Short.toUnsignedInt(h.getShort(24));
    if (version != VERSION) {
      throw new CorruptStoreException(file, "unsupported spill file version " + version);
    }
    if (compressorId != compressor.id()) {
      throw new CorruptStoreException(
          file,
          "spill file was written with compressor "
              + compressorId
              + ", opened with "
              + compressor.id());
    }
    if (Integer.bitCount(chunkSize) != 1
        || chunkSize < MIN_CHUNK_SIZE
        || chunkSize > MAX_CHUNK_SIZE
        || groupChunks < 1
        || groupChunks > MAX_CHUNKS_PER_RECORD) {
      throw new CorruptStoreException(
          file, "bad chunk size " + chunkSize + " or chunks per record " + groupChunks);
    }
    return new Header(compressorId, chunkSize, generation, groupChunks);
  }

  /**
   * Reads the record at {@code pos} into {@code rec} (from 0, limit set to its length) and checks
   * it against a file that ends at {@code limit}. Returns null if it is intact, or what is wrong,
   * worded to follow "record at <i>pos</i>".
   */
  static String readRecord(
      FileChannel ch,
      Path file,
      long pos,
      long limit,
      ByteBuffer rec,
      int chunkSize,
      int groupChunks,
      int maxLen)
      throws IOException {
    if (limit - pos < RECORD_HEAD) {
      return " lies past the end";
    }
    rec.clear().limit(RECORD_HEAD);
    FileChannels.readFully(ch, rec, pos, file);
    String problem = checkHead(rec, chunkSize, groupChunks, maxLen);
    if (problem != null) {
      return ": " + problem;
    }
    int len = rec.getInt(4);
    if (len > limit - pos) {
      return " runs past the end";
    }
    rec.limit(len);
    FileChannels.readFully(ch, rec, pos + RECORD_HEAD, file);
    if (rec.getInt(8) != Crc.of(rec, 0, 8, 12, len)) {
      return ": checksum mismatch (CRC32C)";
    }
    return null;
  }

  /** Checks the 16-byte record head in {@code rec}; returns what is wrong, or null. */
  static String checkHead(ByteBuffer rec, int chunkSize, int groupChunks, int maxLen) {
    if (rec.getInt(0) != RECORD_MAGIC) {
      return "bad record magic";
    }
    int len = rec.getInt(4);
    int n = Short.toUnsignedInt(rec.getShort(12));
    byte encoding = rec.get(14);
    if (n < 1 || n > groupChunks) {
      return "chunk count " + n + " out of range";
    }
    if (rec.get(15) != 0) {
      return "reserved byte set";
    }
    int fixed = RECORD_HEAD + 8 * n;
    if (encoding == RAW) {
      if (len != fixed + n * chunkSize) {
        return "raw record length " + len + " does not match " + n + " chunks";
      }
    } else if (encoding == COMPRESSED) {
      if (len <= fixed || len > maxLen) {
        return "compressed record length " + len + " out of range";
      }
    } else {
      return "unknown encoding " + encoding;
    }
    return null;
  }

  /** The chunk count of a record head. */
  static int chunkCount(ByteBuffer rec) {
    return Short.toUnsignedInt(rec.getShort(12));
  }

  /** The length of a record whose head is in {@code rec}. */
  static int recordLength(ByteBuffer rec) {
    return rec.getInt(4);
  }

  /**
   * Writes into {@code h} (from its position) the head of a raw record of the {@code n} chunks
   * {@code ids[0..n)}, length and CRC left zero; {@code h} is left positioned after it.
   */
  static ByteBuffer recordHead(ByteBuffer h, long[] ids, int n) {
    h.putInt(RECORD_MAGIC).putInt(0).putInt(0).putShort((short) n).put(RAW).put((byte) 0);
    for (int k = 0; k < n; k++) {
      h.putLong(ids[k]);
    }
    return h;
  }

  /** As {@link #recordHead(ByteBuffer, long[], int)} for the chunks {@code firstId} on. */
  static ByteBuffer recordHead(ByteBuffer h, long firstId, int n) {
    h.putInt(RECORD_MAGIC).putInt(0).putInt(0).putShort((short) n).put(RAW).put((byte) 0);
    for (int k = 0; k < n; k++) {
      h.putLong(firstId + k);
    }
    return h;
  }

  /**
   * Completes a record built at {@code rec}'s start and ending at its position, in one buffer:
   * marks it compressed if asked, fills in length and CRC, and flips it. Returns its length.
   */
  static int finish(ByteBuffer rec, boolean compressed) {
    if (compressed) {
      rec.put(14, COMPRESSED);
    }
    int len = rec.position();
    rec.putInt(4, len);
    rec.putInt(8, Crc.of(rec, 0, 8, 12, len));
    rec.flip();
    return len;
  }

  /**
   * Completes the raw record head {@code h} (positioned after it) for {@code payload}: its length
   * and its CRC over head and payload. Returns {@code h} flipped.
   */
  static ByteBuffer finishRaw(ByteBuffer h, ByteBuffer payload, CRC32C crc) {
    int headLength = h.position();
    h.putInt(4, headLength + payload.remaining());
    crc.reset();
    crc.update(h.duplicate().position(0).limit(8));
    crc.update(h.duplicate().position(12).limit(headLength));
    crc.update(payload.duplicate());
    h.putInt(8, (int) crc.getValue());
    return h.flip();
  }

  static ByteBuffer newBuffer(int capacity) {
    return ByteBuffer.allocate(capacity).order(ByteOrder.LITTLE_ENDIAN);
  }
}
