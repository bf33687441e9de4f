package dev.cairn.read;

import dev.cairn.codec.Codec;
import dev.cairn.codec.MalformedBlockException;
import dev.cairn.error.CorruptSnapshotException;
import dev.cairn.format.BlockKind;
import dev.cairn.format.IndexPage;
import dev.cairn.format.SnapshotSeal;
import dev.cairn.io.Crc;
import dev.cairn.source.ByteSource;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * Turns one stored block of a snapshot into its logical bytes: reads the stored bytes from the
 * {@link ByteSource} (in place when the source is a memory map), checks their CRC32C, opens them
 * when the snapshot is encrypted ({@link SnapshotSeal}: AES-256-GCM, which also proves the block is
 * the one sealed at this stream and index of this snapshot), and decompresses them. Stored bytes
 * that fail the check are read once more if the source can fetch them afresh ({@link
 * ByteSource#invalidate}). Damage raises {@link CorruptSnapshotException} naming the snapshot,
 * stream and block; damaged bytes are never returned as data.
 *
 * <p>Thread-safe: each call takes a {@link Scratch} (buffers and a decompressor) from a pool.
 */
final class BlockDecoder {
  /**
   * The most stored bytes one background fetch of adjacent blocks asks for at once: a long run's
   * take of 64 blocks stored as they are, with a margin.
   */
  static final int MAX_SPAN = 8 << 20;

  private static final String PAST_END = "stored bytes lie past the end of the file";
  private static final String CRC_MISMATCH = "checksum mismatch in stored bytes (CRC32C)";
  private static final String NOT_AUTHENTIC =
      "stored bytes do not authenticate (AES-GCM): altered, moved or from another snapshot";

  private final ByteSource source;
  private final String describe;
  private final ReadStatsCounter stats;
  private final Scratch.Pool scratch;
  private final SnapshotSeal seal;
  private final StoredBlocks stored;
  private final int cacheOwner;

  /**
   * @param maxStored the largest stored length of a block, tag included
   * @param seal the snapshot's seal if it is encrypted, else null
   * @param stored where checked stored bytes are kept (a verified snapshot's), or null
   * @param cacheOwner the snapshot's owner id in the block cache, for keys in {@code stored}
   */
  BlockDecoder(
      ByteSource source,
      Codec codec,
      byte[] dictionary,
      int blockSize,
      int maxStored,
      SnapshotSeal seal,
      ReadStatsCounter stats,
      StoredBlocks stored,
      int cacheOwner) {
    this.source = source;
    this.seal = seal;
    this.stored = stored;
    this.cacheOwner = cacheOwner;
    this.describe = source.describe();
    this.stats = stats;
    this.scratch =
        new Scratch.Pool(
            () ->
                new Scratch(maxStored, blockSize, codec.newDecompressor(dictionary), seal != null),
            2 * Runtime.getRuntime().availableProcessors() + 8);
  }

  /**
   * Reads, checks and decompresses the block in slot {@code i} of {@code page} (block {@code block}
   * of stream number {@code streamIndex} named {@code stream}) into exactly {@code dst.remaining()}
   * bytes, which must be the block's logical length.
   */
  void decode(
      IndexPage page,
      int i,
      int streamIndex,
      String stream,
      long block,
      ByteBuffer dst,
      boolean keep)
      throws IOException {
    Scratch s = scratch.take();
    try {
      decode(s, page, i, streamIndex, stream, block, dst, keep);
    } finally {
      scratch.give(s);
    }
  }

  private void decode(
      Scratch s,
      IndexPage page,
      int i,
      int streamIndex,
      String stream,
      long block,
      ByteBuffer dst,
      boolean keep)
      throws IOException {
    long key = BlockCache.key(cacheOwner, streamIndex, block);
    byte[] kept = this.stored == null ? null : this.stored.get(key);
    try {
      ByteBuffer in;
      if (kept != null) {
        // checked, and opened, when it was kept; the native codecs read direct memory
        in = s.stored.clear().put(kept).flip();
        stats.recordStoredHit();
      } else {
        in = checkedStoredBytes(s, page, i, streamIndex, stream, block);
        if (keep && this.stored != null) {
          this.stored.put(key, in);
        }
      }
      decompress(s, page.kind(i), stream, block, in, dst);
    } finally {
      releaseView(s);
    }
  }

  /**
   * Reads {@code length} stored bytes at {@code offset}, lent by the source as {@code s.view} if
   * {@code lend} and it can, else into scratch memory, and counts the fetch; failures name the
   * block.
   */
  private ByteBuffer fetchStored(
      Scratch s, long offset, int length, String stream, long block, boolean lend)
      throws IOException {
    ByteBuffer in;
    try {
      s.view = lend ? source.view(offset, length) : null;
      in = s.view != null ? s.view : read(s, offset, length);
    } catch (EOFException e) {
      throw corrupt(stream, block, PAST_END, e);
    } catch (CorruptSnapshotException e) {
      // a verifying source found bytes that do not match their signed digest
      throw e.inBlock(stream, block);
    }
    stats.recordFetch(length);
    return in;
  }

  /** Gives back the memory the source lent for the load under way, if it lent any. */
  private void releaseView(Scratch s) {
    if (s.view != null) {
      source.release(s.view);
      s.view = null;
    }
  }

  /**
   * The stored bytes of the block in slot {@code i} of {@code page}, read from the source (lent as
   * {@code s.view} where the source lends memory, which the caller releases), checked against their
   * CRC32C (read once more if the source can fetch them afresh) and opened if the snapshot is
   * encrypted.
   */
  private ByteBuffer checkedStoredBytes(
      Scratch s, IndexPage page, int i, int streamIndex, String stream, long block)
      throws IOException {
    int length = page.storedLength(i);
    long offset = page.offset(i);
    ByteBuffer in = fetchStored(s, offset, length, stream, block, true);
    if (Crc.ofRemaining(in) != page.storedCrc(i)) {
      // a remote source may hold a wrong copy (a lying server, a disk cache filled from one):
      // it forgets the range and the bytes are fetched once more; a local file is not re-read
      if (!source.invalidate(offset, length)) {
        throw corrupt(stream, block, CRC_MISMATCH, null);
      }
      stats.recordRefetch();
      releaseView(s);
      in = fetchStored(s, offset, length, stream, block, false);
      if (Crc.ofRemaining(in) != page.storedCrc(i)) {
        throw corrupt(stream, block, CRC_MISMATCH, null);
      }
    }
    if (seal != null) {
      ByteBuffer opened = s.opened.clear();
      if (!seal.openBlock(streamIndex, block, in, opened)) {
        throw corrupt(stream, block, NOT_AUTHENTIC, null);
      }
      in = opened.flip();
    }
    return in;
  }

  /**
   * Decodes the block in slot {@code i} of {@code page} ({@code length}: its logical length) in
   * scratch memory, keeping its checked stored bytes, and copies its bytes from {@code inBlock} on
   * into {@code dst}'s remaining bytes: a partial read that allocates no block (and, for a verified
   * snapshot whose stored bytes are kept, reads and hashes nothing).
   */
  void decodePart(
      IndexPage page,
      int i,
      int streamIndex,
      String stream,
      long block,
      int length,
      int inBlock,
      ByteBuffer dst)
      throws IOException {
    Scratch s = scratch.take();
    try {
      ByteBuffer whole = s.block.clear().limit(length);
      decode(s, page, i, streamIndex, stream, block, whole, true);
      dst.put(whole.flip().position(inBlock).limit(inBlock + dst.remaining()));
    } finally {
      scratch.give(s);
    }
  }

  /**
   * Decompresses (or copies, for a raw block) {@code in} into exactly {@code dst.remaining()}
   * bytes.
   */
  private void decompress(
      Scratch s, BlockKind kind, String stream, long block, ByteBuffer in, ByteBuffer dst)
      throws CorruptSnapshotException {
    if (kind == BlockKind.RAW) {
      if (in.remaining() != dst.remaining()) {
        throw corrupt(
            stream,
            block,
            "raw block holds " + in.remaining() + " bytes, expected " + dst.remaining(),
            null);
      }
      dst.put(in);
      return;
    }
    long t0 = System.nanoTime();
    try {
      if (dst.isDirect()) {
        s.decompressor.decompress(in, dst);
      } else {
        // The native codecs want direct memory on both sides: decompress into the scratch
        // block, then one copy to the heap.
        ByteBuffer tmp = s.block.clear().limit(dst.remaining());
        s.decompressor.decompress(in, tmp);
        dst.put(tmp.flip());
      }
    } catch (MalformedBlockException e) {
      throw corrupt(stream, block, e.getMessage(), e);
    }
    stats.recordDecompress(System.nanoTime() - t0);
  }

  /**
   * Fetches the stored bytes of the block in slot {@code i} of {@code page} without reading them
   * ({@link ByteSource#prefetch}), so that a caching source below holds them before they are read
   * (a background fetch in the order of an access profile); the real read checks them, and a
   * caching source fetches bytes that fail afresh. Returns the number of stored bytes.
   */
  int fetch(IndexPage page, int i) throws IOException {
    return fetchSpan(page, i, 1);
  }

  /**
   * Like {@link #fetch} for the {@code n} blocks from slot {@code i} of {@code page}, whose stored
   * bytes lie side by side, at most {@link #MAX_SPAN} in all: one prefetch of them all.
   */
  int fetchSpan(IndexPage page, int i, int n) throws IOException {
    long offset = page.offset(i);
    int length = (int) (page.offset(i + n - 1) + page.storedLength(i + n - 1) - offset);
    source.prefetch(offset, length);
    return length;
  }

  /** Whether the source holds slot {@code i}'s stored bytes: reading them makes no request. */
  boolean holds(IndexPage page, int i) {
    return source.holds(page.offset(i), page.storedLength(i));
  }

  /**
   * Tells the source that the stored bytes from slot {@code i}'s to slot {@code j}'s, side by side
   * in {@code page}, are about to be read ({@link ByteSource#willRead}).
   */
  void willRead(IndexPage page, int i, int j) throws IOException {
    long offset = page.offset(i);
    source.willRead(offset, (int) (page.offset(j) + page.storedLength(j) - offset));
  }

  /** The {@code stored} bytes at {@code offset}, read into the scratch buffer. */
  private ByteBuffer read(Scratch s, long offset, int stored) throws IOException {
    ByteBuffer in = s.stored.clear().limit(stored);
    source.readFully(offset, in);
    return in.flip();
  }

  CorruptSnapshotException corrupt(String stream, long block, String what, Throwable cause) {
    return new CorruptSnapshotException(describe, stream, block, what, cause);
  }

  /** Frees the pooled decompressors; the byte source belongs to the snapshot. */
  void close() {
    scratch.close();
  }
}
