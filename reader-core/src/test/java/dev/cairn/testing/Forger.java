package dev.cairn.testing;

import com.dynatrace.hash4j.hashing.HashValue128;
import com.dynatrace.hash4j.hashing.Hashing;
import dev.cairn.format.BlockEntry;
import dev.cairn.format.Footer;
import dev.cairn.format.Header;
import dev.cairn.format.IndexPage;
import dev.cairn.format.Trailer;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * What an attacker who can rewrite a plain snapshot file does: changes a data block, an index page,
 * the header or the footer, and then recomputes every CRC32C and every XXH3-128 content hash the
 * format holds, so that nothing but a signature can tell the forged file from a genuine one. Works
 * on the bytes of one whole file (a snapshot of XXH3-128 content hashes, not encrypted), in place;
 * the file's size never changes.
 *
 * <p><b>Thread safety:</b> an instance holds the file it forges; use it from one thread.
 */
public final class Forger {
  private static final int KIND_RAW = 2;

  private final byte[] f;
  private final Header header;
  private final Footer footer;
  private final long footerOffset;

  private Forger(byte[] file) {
    this.f = file;
    try {
      int headerLength = Snapshots.getIntLe(file, 12);
      header = Header.parse(ByteBuffer.wrap(file, 0, headerLength), "forged");
      if (header.encryption().enabled()
          || header.contentHash() != dev.cairn.format.HashAlgorithm.XXH3_128) {
        throw new IllegalArgumentException("Forger needs a plain snapshot hashed with XXH3-128");
      }
      Trailer t =
          Trailer.parse(
              ByteBuffer.wrap(file, file.length - Trailer.LENGTH, Trailer.LENGTH),
              file.length,
              "forged");
      footerOffset = t.footerOffset();
      long dataStart = (long) headerLength + Math.max(0, header.dictionaryLength());
      footer =
          Footer.parse(
              ByteBuffer.wrap(file, (int) t.footerOffset(), t.footerLength()),
              header,
              dataStart,
              t.footerOffset(),
              "forged");
    } catch (java.io.IOException e) {
      throw new IllegalArgumentException("not a snapshot: " + e.getMessage(), e);
    }
  }

  /** A forger of {@code file} (changed in place). */
  public static Forger of(byte[] file) {
    return new Forger(file);
  }

  /** The file offset of block {@code block}'s index entry in stream 0. */
  public int entryOffset(long block) {
    int perPage = header.entriesPerPage();
    long page = footer.streams().get(0).pageOffsets()[(int) (block / perPage)];
    return (int) (page + IndexPage.HEADER_LENGTH + (block % perPage) * BlockEntry.LENGTH);
  }

  /** Whether block {@code block} of stream 0 is stored raw (its logical bytes as they are). */
  public boolean isRaw(long block) {
    return f[entryOffset(block)] == KIND_RAW;
  }

  /** The file offset of block {@code block}'s stored bytes (stream 0). */
  public long storedOffset(long block) {
    return Snapshots.getLongLe(f, entryOffset(block) + 8);
  }

  /**
   * Replaces the logical bytes of raw block {@code block} (stream 0) with {@code content} of the
   * same length, and reseals its entry (CRC32C, content hash) and its index page.
   */
  public Forger replaceRawBlock(long block, byte[] content) {
    int e = entryOffset(block);
    if (f[e] != KIND_RAW || Snapshots.getIntLe(f, e + 4) != content.length) {
      throw new IllegalArgumentException("block " + block + " is not raw of that length");
    }
    int at = (int) storedOffset(block);
    System.arraycopy(content, 0, f, at, content.length);
    Snapshots.putIntLe(f, e + 16, Snapshots.crc(f, at, at + content.length));
    HashValue128 h = Hashing.xxh3_128().hashBytesTo128Bits(content);
    ByteBuffer.wrap(f, e + 24, 16)
        .order(ByteOrder.BIG_ENDIAN)
        .putLong(h.getMostSignificantBits())
        .putLong(h.getLeastSignificantBits());
    resealPageOf(block);
    return this;
  }

  /**
   * Replaces the logical bytes of raw block {@code block} (stream 0) with {@code content} of the
   * same length, except its last four bytes, which are chosen so that the block's CRC32C stays what
   * its index entry says ({@link CrcForge}): the index page is left untouched, and a reader that
   * checks the CRC, as every read does, takes the forged bytes.
   */
  public Forger replaceRawBlockUnderItsCrc(long block, byte[] content) {
    int e = entryOffset(block);
    if (f[e] != KIND_RAW || Snapshots.getIntLe(f, e + 4) != content.length) {
      throw new IllegalArgumentException("block " + block + " is not raw of that length");
    }
    int at = (int) storedOffset(block);
    int crc = Snapshots.getIntLe(f, e + 16);
    System.arraycopy(content, 0, f, at, content.length);
    CrcForge.forge(f, at, content.length, crc);
    return this;
  }

  /**
   * Swaps the index entries of blocks {@code a} and {@code b} (stream 0, on the same index page):
   * each entry stays consistent with the bytes it points at, so every checksum holds, and a reader
   * that trusts the index returns each block's bytes for the other.
   */
  public Forger swapEntries(long a, long b) {
    int ea = entryOffset(a);
    int eb = entryOffset(b);
    if (a / header.entriesPerPage() != b / header.entriesPerPage()) {
      throw new IllegalArgumentException("blocks on different pages");
    }
    byte[] tmp = new byte[BlockEntry.LENGTH];
    System.arraycopy(f, ea, tmp, 0, tmp.length);
    System.arraycopy(f, eb, f, ea, tmp.length);
    System.arraycopy(tmp, 0, f, eb, tmp.length);
    resealPageOf(a);
    return this;
  }

  /** Moves the header's creation time (the files' mtime in a mount) and reseals the header. */
  public Forger shiftCreationTime(long millis) {
    Snapshots.putLongLe(f, 32, Snapshots.getLongLe(f, 32) + millis);
    Snapshots.resealHeader(f);
    return this;
  }

  /**
   * Changes stream 0's stored-bytes count in the footer (what {@code info} reports as its size on
   * disk; no read depends on it) and reseals the footer and trailer.
   */
  public Forger changeFooterStoredBytes(long delta) {
    // footer: magic (4), stream count (4), then size (8), block count (8), stored bytes (8)
    int at = (int) footerOffset + 8 + 16;
    Snapshots.putLongLe(f, at, Snapshots.getLongLe(f, at) + delta);
    Snapshots.resealFooter(f);
    return this;
  }

  private void resealPageOf(long block) {
    int perPage = header.entriesPerPage();
    int page = (int) (block / perPage);
    Footer.StreamLayout s = footer.streams().get(0);
    int count = (int) Math.min(perPage, s.blockCount() - (long) page * perPage);
    Snapshots.resealPage(f, (int) s.pageOffsets()[page], count);
  }
}
