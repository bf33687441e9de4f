package dev.cairn.format;

import dev.cairn.error.CorruptSnapshotException;
import dev.cairn.io.Crc;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * A page of consecutive {@link BlockEntry block entries} of one stream: the unit in which the index
 * is written, checksummed, read and cached. Pages sit in the data area right after the blocks they
 * describe (so the writer never holds more than one page), and the footer lists their offsets, so
 * finding a block's entry is arithmetic plus one cached page.
 *
 * <p>Layout (little-endian):
 *
 * <pre>
 *  0  4  magic "CIXP"
 *  4  1  stream index
 *  5  3  reserved, zero
 *  8  8  index of the first block on the page
 * 16  4  entry count n
 * 20  4  reserved, zero
 * 24  40 × n  entries
 * 24 + 40n  4  CRC32C of bytes [0, 24 + 40n)
 * </pre>
 *
 * <p>In an encrypted snapshot the entries are sealed ({@link SnapshotSeal#sealPage}): bytes 24 to
 * 24 + 40n hold their ciphertext, followed by the 16-byte GCM tag, and the CRC32C at 24 + 40n + 16
 * covers everything before it. Sealing hides the content hashes (a hash of known plaintext would
 * confirm a guess) and authenticates every offset and length, so no block can be redirected.
 *
 * <p>Entries are decoded from the page buffer on demand; the primitive accessors let the read path
 * look a block up without allocating. Immutable once parsed; safe to share between threads.
 */
public final class IndexPage {
  public static final int HEADER_LENGTH = 24;
  private static final int MAGIC = 0x50584943; // "CIXP"

  private final ByteBuffer buf;
  private final long firstBlock;
  private final int count;

  private IndexPage(ByteBuffer buf, long firstBlock, int count) {
    this.buf = buf;
    this.firstBlock = firstBlock;
    this.count = count;
  }

  /** The encoded size of a page of {@code entries} entries. */
  public static int encodedLength(int entries) {
    return HEADER_LENGTH + entries * BlockEntry.LENGTH + 4;
  }

  /** The encoded size of a page of {@code entries} entries, sealed or not. */
  public static int encodedLength(int entries, boolean sealed) {
    return encodedLength(entries) + (sealed ? SnapshotSeal.TAG : 0);
  }

  /** Parses a plain page; see the full form. */
  public static IndexPage parse(
      ByteBuffer page,
      int stream,
      long firstBlock,
      int count,
      long dataStart,
      long dataEnd,
      int maxStored,
      String source,
      String streamName)
      throws CorruptSnapshotException {
    return parse(
        page, stream, firstBlock, count, dataStart, dataEnd, maxStored, null, source, streamName);
  }

  /**
   * Parses a page that must hold exactly the entries {@code [firstBlock, firstBlock + count)} of
   * stream {@code stream}, and checks every entry's fields against the file's geometry.
   *
   * @param dataEnd the offset where data ends (the footer offset): stored bytes must lie before it
   * @param maxStored the largest stored length a block of this snapshot can have
   * @param seal the snapshot's seal if it is encrypted, else null
   */
  public static IndexPage parse(
      ByteBuffer page,
      int stream,
      long firstBlock,
      int count,
      long dataStart,
      long dataEnd,
      int maxStored,
      SnapshotSeal seal,
      String source,
      String streamName)
      throws CorruptSnapshotException {
    ByteBuffer b = page.slice().order(ByteOrder.LITTLE_ENDIAN);
    int length = encodedLength(count, seal != null);
    if (b.remaining() < length) {
      throw corrupt(source, streamName, firstBlock, "index page is cut short");
    }
    if (b.getInt(0) != MAGIC) {
      throw corrupt(source, streamName, firstBlock, "index page magic missing");
    }
    if (b.getInt(length - 4) != Crc.of(b, 0, length - 4)) {
      throw corrupt(source, streamName, firstBlock, "index page checksum mismatch");
    }
    if (Byte.toUnsignedInt(b.get(4)) != stream
        || b.getLong(8) != firstBlock
        || b.getInt(16) != count) {
      throw corrupt(
          source,
          streamName,
          firstBlock,
          "index page belongs elsewhere (stream "
              + b.get(4)
              + ", first block "
              + b.getLong(8)
              + ", "
              + b.getInt(16)
              + " entries)");
    }
    if ((b.getInt(4) >>> 8) != 0 || b.getInt(20) != 0) {
      throw corrupt(source, streamName, firstBlock, "index page reserved bytes are not zero");
    }
    if (seal != null) {
      b = open(b, stream, firstBlock, count, seal);
      if (b == null) {
        throw corrupt(
            source,
            streamName,
            firstBlock,
            "index page does not authenticate (AES-GCM): altered, moved or from another snapshot");
      }
      length = encodedLength(count);
    }
    IndexPage p =
        new IndexPage(
            b.limit(length).asReadOnlyBuffer().order(ByteOrder.LITTLE_ENDIAN), firstBlock, count);
    for (int i = 0; i < count; i++) {
      int at = HEADER_LENGTH + i * BlockEntry.LENGTH;
      BlockKind kind = BlockKind.byId(Byte.toUnsignedInt(b.get(at)));
      long block = firstBlock + i;
      if (kind == null) {
        throw corrupt(source, streamName, block, "unknown block kind " + b.get(at));
      }
      if ((b.getInt(at) >>> 8) != 0 || b.getInt(at + 20) != 0) {
        throw corrupt(source, streamName, block, "index entry reserved bytes are not zero");
      }
      int stored = b.getInt(at + 4);
      long offset = b.getLong(at + 8);
      if (kind.hasData()) {
        if (stored <= 0 || stored > maxStored || offset < dataStart || offset > dataEnd - stored) {
          throw corrupt(
              source,
              streamName,
              block,
              "index entry says "
                  + Integer.toUnsignedString(stored)
                  + " stored bytes at offset "
                  + offset
                  + ", outside the data area");
        }
      } else if (stored != 0 || offset != 0) {
        throw corrupt(source, streamName, block, "index entry of a " + kind + " block has data");
      }
    }
    return p;
  }

  /** Encodes a plain page from entries. */
  public static ByteBuffer encode(int stream, long firstBlock, BlockEntry[] entries, int count) {
    return encode(stream, firstBlock, entries, count, null);
  }

  /** Encodes a page from entries, sealing them when {@code seal} is not null. */
  public static ByteBuffer encode(
      int stream, long firstBlock, BlockEntry[] entries, int count, SnapshotSeal seal) {
    int length = encodedLength(count, seal != null);
    ByteBuffer b = ByteBuffer.allocate(length).order(ByteOrder.LITTLE_ENDIAN);
    b.putInt(MAGIC).put((byte) stream).put(new byte[3]).putLong(firstBlock).putInt(count).putInt(0);
    ByteBuffer plain = b;
    if (seal != null) {
      plain = ByteBuffer.allocate(count * BlockEntry.LENGTH).order(ByteOrder.LITTLE_ENDIAN);
    }
    for (int i = 0; i < count; i++) {
      entries[i].write(plain);
    }
    if (seal != null) {
      seal.sealPage(stream, firstBlock, plain.flip(), b);
    }
    b.putInt(Crc.of(b, 0, length - 4));
    return b.flip();
  }

  /**
   * The plain page of a sealed one: its header, the opened entries and a (meaningless) checksum
   * slot; null if the entries do not authenticate.
   */
  private static ByteBuffer open(
      ByteBuffer sealed, int stream, long firstBlock, int count, SnapshotSeal seal) {
    ByteBuffer plain = ByteBuffer.allocate(encodedLength(count)).order(ByteOrder.LITTLE_ENDIAN);
    plain.put(sealed.duplicate().position(0).limit(HEADER_LENGTH));
    ByteBuffer in =
        sealed
            .duplicate()
            .position(HEADER_LENGTH)
            .limit(HEADER_LENGTH + count * BlockEntry.LENGTH + SnapshotSeal.TAG);
    if (!seal.openPage(stream, firstBlock, in, plain)) {
      return null;
    }
    return plain.clear().order(ByteOrder.LITTLE_ENDIAN);
  }

  public long firstBlock() {
    return firstBlock;
  }

  public int count() {
    return count;
  }

  /** Heap bytes this page holds, for cache weighing. */
  public int weight() {
    return buf.capacity() + 64;
  }

  public BlockKind kind(int i) {
    return BlockKind.byId(Byte.toUnsignedInt(buf.get(at(i))));
  }

  public int storedLength(int i) {
    return buf.getInt(at(i) + 4);
  }

  public long offset(int i) {
    return buf.getLong(at(i) + 8);
  }

  public int storedCrc(int i) {
    return buf.getInt(at(i) + 16);
  }

  /** Decodes entry {@code i} (0-based within the page). */
  public BlockEntry entry(int i) {
    byte[] hash = new byte[BlockEntry.HASH_LENGTH];
    buf.get(at(i) + 24, hash);
    return new BlockEntry(kind(i), storedLength(i), offset(i), storedCrc(i), hash);
  }

  private int at(int i) {
    if (i < 0 || i >= count) {
      throw new IndexOutOfBoundsException("entry " + i + " of " + count);
    }
    return HEADER_LENGTH + i * BlockEntry.LENGTH;
  }

  private static CorruptSnapshotException corrupt(
      String source, String stream, long block, String what) {
    return new CorruptSnapshotException(source, stream, block, what, null);
  }
}
