package dev.cairn.delta;

import dev.cairn.error.CorruptStoreException;
import dev.cairn.io.Crc;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.CRC32C;

/**
 * The codec of the spill file's header and record heads, and the checks a record must pass before
 * its bytes are believed.
 *
 * <p>Little-endian; offsets in bytes. Header:
 *
 * <pre>
 *   0   8  magic "CAIRNSPL" (43 41 49 52 4E 53 50 4C)
 *   8   2  version: 1 plain, 2 sealed (every record sealed with AES-256-GCM, see below)
 *  10   2  compressor id ({@link ChunkCompressor#id()})
 *  12   4  chunk size C (a power of two, 512 .. 1 MiB)
 *  16   8  generation (the spill file's number; see StoreFiles)
 *  24   2  chunks per record G (1 .. 256)
 *  26   2  reserved, zero
 *  28   4  CRC32C of bytes [0, 28)
 *  32   …  records, back to back
 * </pre>
 *
 * Each record of a plain file (version 1), at offset R:
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
 * In a sealed file (version 2) the first 16 bytes are the same and everything after them, chunk ids
 * included (they say where the user wrote), is sealed ({@link RecordCipher}):
 *
 * <pre>
 *   0  16  as above; L is the length of the sealed record, 8n + 44 + the payload's length
 *  16  12  nonce, random
 *  28  8n  chunk ids, encrypted
 *  28+8n   payload, encrypted (raw or compressed as byte 14 says; compressed before sealing)
 *  L-16 16 GCM tag
 * </pre>
 *
 * The associated data (44 bytes) binds a sealed record to its place: the header's bytes [0, 28)
 * (magic, version, compressor, chunk size, generation, chunks per record), the record's offset R
 * (i64), its bytes [4, 8) (length) and [12, 16) (count, encoding, reserved). A record moved to
 * another offset or another spill file (another generation, or another overlay: each has its own
 * key), or with its head altered, does not open. The CRC32C framing stays as in a plain file and is
 * checked first: it finds the torn tail a crash leaves. A record whose CRC matches but whose tag
 * does not cannot come from a crash and is reported as {@link CorruptStoreException}, never
 * returned as data.
 *
 * <p>A chunk's location is {@code R << 8 | slot}.
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

  private static final int VERSION_PLAIN = 1;
  private static final int VERSION_SEALED = 2;

  /** The header bytes a sealed record's associated data starts with: all but the CRC. */
  static final int HEADER_AAD = 28;

  private static final byte[] MAGIC = "CAIRNSPL".getBytes(StandardCharsets.US_ASCII);
  private static final int RECORD_MAGIC = 0x52505343; // "CSPR" read little-endian

  /** A spill file's header fields; {@code sealed} for version 2. */
  record Header(int compressorId, int chunkSize, long generation, int groupChunks, boolean sealed) {
    /** The header as stored, without its CRC: the start of each sealed record's AAD. */
    byte[] aadPrefix() {
      return Arrays.copyOf(encode(this).array(), HEADER_AAD);
    }
  }

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

  /**
   * The longest record a file of this shape can hold, {@code overhead} being what sealing adds
   * ({@link RecordCipher#overhead()}).
   */
  static int maxRecordLength(ChunkCompressor c, int chunkSize, int groupChunks, int overhead) {
    int raw = chunkSize * groupChunks;
    return RECORD_HEAD + 8 * groupChunks + Math.max(raw, c.maxCompressedLength(raw)) + overhead;
  }

  /** Writes the header at offset 0 (not forced). */
  static void writeHeader(FileChannel ch, Header h) throws IOException {
    FileChannels.writeFully(ch, encode(h), 0);
  }

  private static ByteBuffer encode(Header h) {
    ByteBuffer b = newBuffer(HEADER_LENGTH);
    b.put(MAGIC)
        .putShort((short) (h.sealed() ? VERSION_SEALED : VERSION_PLAIN))
        .putShort((short) h.compressorId())
        .putInt(h.chunkSize())
        .putLong(h.generation())
        .putShort((short) h.groupChunks())
        .putShort((short) 0);
    b.putInt(Crc.of(b, 0, 28)).flip();
    return b;
  }

  /**
   * Reads and checks the header of a file of {@code size} bytes written with {@code compressor},
   * sealed if {@code cipher} is not plain.
   *
   * @throws CorruptStoreException if it is damaged, names another compressor, or is sealed when
   *     {@code cipher} is plain or the reverse
   */
  static Header readHeader(
      FileChannel ch, Path file, long size, ChunkCompressor compressor, RecordCipher cipher)
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
    if (version != VERSION_PLAIN && version != VERSION_SEALED) {
      throw new CorruptStoreException(file, "unsupported spill file version " + version);
    }
    boolean sealed = version == VERSION_SEALED;
    if (sealed == cipher.isPlain()) {
      throw new CorruptStoreException(
          file,
          sealed
              ? "spill file is encrypted, but the store was opened without a key"
              : "spill file is not encrypted, but the store is (refusing plain records)");
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
    return new Header(compressorId, chunkSize, generation, groupChunks, sealed);
  }

  /**
   * Reads the record at {@code pos} into {@code rec} (from 0, limit set to its length) and checks
   * it against a file that ends at {@code limit}: its head and its CRC32C, not (for a sealed file)
   * its tag, which {@link SpillSeal#open} checks next. Returns null if it is intact, or what is
   * wrong, worded to follow "record at <i>pos</i>".
   */
  static String readRecord(
      FileChannel ch,
      Path file,
      long pos,
      long limit,
      ByteBuffer rec,
      int chunkSize,
      int groupChunks,
      int maxLen,
      int overhead)
      throws IOException {
    if (limit - pos < RECORD_HEAD) {
      return " lies past the end";
    }
    rec.clear().limit(RECORD_HEAD);
    FileChannels.readFully(ch, rec, pos, file);
    String problem = checkHead(rec, chunkSize, groupChunks, maxLen, overhead);
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

  /**
   * Checks the 16-byte record head in {@code rec}, of a file whose records carry {@code overhead}
   * sealing bytes; returns what is wrong, or null.
   */
  static String checkHead(
      ByteBuffer rec, int chunkSize, int groupChunks, int maxLen, int overhead) {
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
    int fixed = RECORD_HEAD + 8 * n + overhead;
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
    int len = finishPlain(rec, compressed);
    rec.putInt(8, Crc.of(rec, 0, 8, 12, len));
    return len;
  }

  /** {@link #finish} without the CRC, for a record that is about to be sealed. */
  static int finishPlain(ByteBuffer rec, boolean compressed) {
    if (compressed) {
      rec.put(14, COMPRESSED);
    }
    int len = rec.position();
    rec.putInt(4, len);
    rec.flip();
    return len;
  }

  /** Fills in the CRC32C of the record from {@code rec}'s start to its limit. */
  static void putCrc(ByteBuffer rec) {
    rec.putInt(8, Crc.of(rec, 0, 8, 12, rec.limit()));
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
