package dev.cairn.read;

import dev.cairn.codec.Codec;
import dev.cairn.crypto.KeyRing;
import dev.cairn.error.CairnException;
import dev.cairn.error.CorruptSnapshotException;
import dev.cairn.error.MissingParentException;
import dev.cairn.error.NotASnapshotException;
import dev.cairn.format.Footer;
import dev.cairn.format.Header;
import dev.cairn.format.SnapshotSeal;
import dev.cairn.format.Trailer;
import dev.cairn.io.Crc;
import dev.cairn.source.ByteSource;
import dev.cairn.trust.SignatureFile;
import dev.cairn.trust.VerifiedSource;
import java.io.Closeable;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * An open snapshot file: its validated header, footer and trailer, a cache of its index pages, and
 * a {@link StreamReader} per stream. Opening reads only the header, trailer and footer; index pages
 * and blocks are read on demand and checked on every read.
 *
 * <p>Thread-safe: any number of threads may read its streams concurrently. Closing it closes the
 * byte source (and not the parent, which the caller owns).
 */
public final class Snapshot implements Closeable {
  /** Footers longer than this are corruption (a 1 PiB stream at 4 KiB blocks needs far less). */
  private static final int MAX_FOOTER_LENGTH = 256 << 20;

  private final ByteSource source;
  private final Header header;
  private final Footer footer;
  private final long dataStart;
  private final long dataEnd;
  private final Snapshot parent;
  private final BlockCache blockCache;
  private final ReadStatsCounter stats;
  private final BlockDecoder decoder;
  private final SnapshotSeal seal;
  private final SignatureFile signature;
  private final List<StreamReader> streams;

  private Snapshot(
      ByteSource source,
      Header header,
      Footer footer,
      byte[] dictionary,
      long dataStart,
      long dataEnd,
      Snapshot parent,
      BlockCache blockCache,
      ReadStatsCounter stats,
      SnapshotSeal seal,
      SignatureFile signature)
      throws CairnException {
    this.source = source;
    this.header = header;
    this.footer = footer;
    this.dataStart = dataStart;
    this.dataEnd = dataEnd;
    this.parent = parent;
    this.blockCache = blockCache;
    this.stats = stats;
    this.seal = seal;
    this.signature = signature;
    int cacheOwner = blockCache.newOwner();
    Codec codec = Codec.of(header.codec());
    int blockSize = header.blockSize();
    int maxStored =
        Math.max(codec.maxCompressedLength(blockSize), blockSize)
            + (seal != null ? SnapshotSeal.TAG : 0);
    // a verified snapshot keeps its checked stored bytes: the page cache's copy is not trusted
    StoredBlocks stored = signature != null ? blockCache.storedBlocks() : null;
    this.decoder =
        new BlockDecoder(
            source, codec, dictionary, blockSize, maxStored, seal, stats, stored, cacheOwner);
    IndexPages pages = new IndexPages(source, header, footer, dataStart, dataEnd, maxStored, seal);
    List<StreamReader> list = new ArrayList<>();
    for (int i = 0; i < header.streamNames().size(); i++) {
      Footer.StreamLayout layout = footer.streams().get(i);
      BlockIndex index =
          new BlockIndex(
              pages,
              i,
              layout.size(),
              layout.blockCount(),
              header.blockSizeLog2(),
              header.entriesPerPage());
      StreamReader parentStream =
          parent != null && i < parent.streams.size() ? parent.streams.get(i) : null;
      list.add(
          new StreamReader(
              this,
              i,
              header.streamNames().get(i),
              index,
              decoder,
              blockCache,
              cacheOwner,
              stats,
              parentStream));
    }
    this.streams = List.copyOf(list);
  }

  /**
   * Opens a snapshot that has no parent, or whose parent blocks will not be read (reading one then
   * fails). Takes ownership of {@code source}: it is closed if opening fails.
   */
  public static Snapshot open(ByteSource source, BlockCache cache, ReadStatsCounter stats)
      throws IOException {
    return open(source, null, cache, stats, KeyRing.NONE);
  }

  /** Like {@link #open(ByteSource, BlockCache, ReadStatsCounter)}, with keys for encryption. */
  public static Snapshot open(
      ByteSource source, BlockCache cache, ReadStatsCounter stats, KeyRing keys)
      throws IOException {
    return open(source, null, cache, stats, keys);
  }

  /** Like {@link #open(ByteSource, Snapshot, BlockCache, ReadStatsCounter, KeyRing)}, no keys. */
  public static Snapshot open(
      ByteSource source, Snapshot parent, BlockCache cache, ReadStatsCounter stats)
      throws IOException {
    return open(source, parent, cache, stats, KeyRing.NONE);
  }

  /**
   * Opens a snapshot over {@code source}, with {@code parent} (already open, may be null) serving
   * its inherited blocks. The parent must be the one the header names and have the same block size.
   * Takes ownership of {@code source}: it is closed if opening fails. An encrypted snapshot is
   * opened with the first of {@code keys} that passes its key check ({@link
   * dev.cairn.error.MissingKeyException} or {@link dev.cairn.error.WrongKeyException} otherwise).
   */
  public static Snapshot open(
      ByteSource source, Snapshot parent, BlockCache cache, ReadStatsCounter stats, KeyRing keys)
      throws IOException {
    boolean ok = false;
    try {
      Snapshot s = load(source, parent, cache, stats, keys);
      ok = true;
      return s;
    } finally {
      if (!ok) {
        source.close();
      }
    }
  }

  private static Snapshot load(
      ByteSource source, Snapshot parent, BlockCache cache, ReadStatsCounter stats, KeyRing keys)
      throws IOException {
    String name = source.describe();
    long size = source.size();
    HeaderAt at = locateHeader(source);
    Header header = at.header();
    int headerLength = at.length();
    SignatureFile signature = source instanceof VerifiedSource v ? v.signature() : null;
    if (signature != null) {
      SignedBinding.check(signature, header, parent, name);
    }
    SnapshotSeal seal = SnapshotSeal.unlock(header, keys, name);
    long dataStart = headerLength + (long) header.dictionaryLength();
    if (dataStart + Trailer.LENGTH > size) {
      throw new CorruptSnapshotException(name, "file is truncated inside the dictionary");
    }
    byte[] dictionary = null;
    if (header.dictionaryLength() > 0) {
      ByteBuffer d = read(source, headerLength, header.dictionaryLength());
      if (Crc.ofRemaining(d) != header.dictionaryCrc()) {
        throw new CorruptSnapshotException(name, "compression dictionary checksum mismatch");
      }
      if (seal != null) {
        dictionary = seal.openDictionary(d);
        if (dictionary == null) {
          throw new CorruptSnapshotException(
              name, "compression dictionary does not authenticate (AES-GCM)");
        }
      } else {
        dictionary = new byte[d.remaining()];
        d.get(dictionary);
      }
      // A dictionary zstd cannot load would otherwise fail every block read with an unchecked
      // ZstdException; its checksum only proves it is the one that was written.
      try {
        Codec.of(header.codec()).newDecompressor(dictionary).close();
      } catch (RuntimeException e) {
        throw new CorruptSnapshotException(
            name,
            null,
            CorruptSnapshotException.NO_BLOCK,
            "compression dictionary cannot be loaded (" + e.getMessage() + ")",
            e);
      }
    }
    Tail tail = readTail(source, header, dataStart);
    Trailer trailer = tail.trailer();
    ByteBuffer fb = tail.footer(seal != null);
    if (seal != null) {
      // The tag authenticates the header as stored and the footer: page offsets, stream sizes.
      if (!seal.verifyFooter(at.bytes(), fb, tail.tag())) {
        throw new CorruptSnapshotException(
            name, "header or footer does not authenticate (AES-GCM): altered after sealing");
      }
    }
    Footer footer = Footer.parse(fb, header, dataStart, trailer.footerOffset(), name);
    if (parent != null) {
      if (!parent.header.snapshotId().equals(header.parentId())) {
        throw new MissingParentException(
            name
                + ": expects parent snapshot "
                + header.parentId()
                + ", but "
                + parent.describe()
                + " is "
                + parent.header.snapshotId());
      }
      if (parent.header.blockSize() != header.blockSize()) {
        throw new CorruptSnapshotException(
            name,
            "block size "
                + header.blockSize()
                + " differs from its parent's "
                + parent.header.blockSize());
      }
    }
    return new Snapshot(
        source,
        header,
        footer,
        dictionary,
        dataStart,
        trailer.footerOffset(),
        parent,
        cache,
        stats,
        seal,
        signature);
  }

  /** Reads and validates only the header: enough to follow a parent chain cheaply. */
  public static Header readHeader(ByteSource source) throws IOException {
    return locateHeader(source).header();
  }

  /**
   * A parsed header and its stored length (not a re-encoding's: a later minor version may carry
   * extra header fields).
   */
  record HeaderAt(Header header, int length, ByteBuffer bytes) {}

  /**
   * The trailer and the footer's stored bytes, whose checksum matched; an encrypted snapshot's end
   * with the footer's tag.
   */
  record Tail(Trailer trailer, ByteBuffer stored, String source) {
    /** The footer's bytes, without the tag if {@code sealed}. */
    ByteBuffer footer(boolean sealed) throws CorruptSnapshotException {
      ByteBuffer fb = stored.duplicate();
      if (sealed) {
        if (fb.remaining() < SnapshotSeal.TAG) {
          throw new CorruptSnapshotException(source, "footer is too short for its tag");
        }
        fb.limit(fb.limit() - SnapshotSeal.TAG);
      }
      return fb;
    }

    /** The footer's tag (an encrypted snapshot's last footer bytes). */
    byte[] tag() {
      byte[] tag = new byte[SnapshotSeal.TAG];
      stored.get(stored.limit() - SnapshotSeal.TAG, tag);
      return tag;
    }
  }

  /** Reads and checks the trailer, then reads the footer it points at and checks its CRC. */
  static Tail readTail(ByteSource source, Header header, long dataStart) throws IOException {
    String name = source.describe();
    long size = source.size();
    Trailer trailer =
        Trailer.parse(read(source, size - Trailer.LENGTH, Trailer.LENGTH), size, name);
    if (!trailer.snapshotId().equals(header.snapshotId())) {
      throw new CorruptSnapshotException(
          name,
          "trailer belongs to snapshot "
              + trailer.snapshotId()
              + ", header to "
              + header.snapshotId());
    }
    if (trailer.footerOffset() < dataStart || trailer.footerLength() > MAX_FOOTER_LENGTH) {
      throw new CorruptSnapshotException(name, "footer position out of range");
    }
    ByteBuffer fb = read(source, trailer.footerOffset(), trailer.footerLength());
    if (Crc.ofRemaining(fb) != trailer.footerCrc()) {
      throw new CorruptSnapshotException(name, "footer checksum mismatch");
    }
    return new Tail(trailer, fb, name);
  }

  static HeaderAt locateHeader(ByteSource source) throws IOException {
    String name = source.describe();
    long size = source.size();
    if (size < Header.PREFIX_LENGTH) {
      throw new NotASnapshotException(name, "only " + size + " bytes long");
    }
    int headerLength = Header.peekLength(read(source, 0, Header.PREFIX_LENGTH), name);
    if (size < headerLength + Trailer.LENGTH) {
      throw new CorruptSnapshotException(name, "file is truncated (" + size + " bytes)");
    }
    ByteBuffer bytes = read(source, 0, headerLength).asReadOnlyBuffer();
    return new HeaderAt(Header.parse(bytes.duplicate(), name), headerLength, bytes);
  }

  private static ByteBuffer read(ByteSource source, long pos, int len) throws IOException {
    ByteBuffer b = ByteBuffer.allocate(len);
    try {
      source.readFully(pos, b);
    } catch (EOFException e) {
      throw new CorruptSnapshotException(source.describe(), "file is truncated");
    }
    return b.flip();
  }

  public Header header() {
    return header;
  }

  /**
   * The seal this snapshot was opened with (its data key, and sub-keys from the same secret for an
   * overlay on it); empty for a plain snapshot.
   */
  public Optional<SnapshotSeal> seal() {
    return Optional.ofNullable(seal);
  }

  public Footer footer() {
    return footer;
  }

  /**
   * The signature every byte of this snapshot was checked against, when it was opened with trusted
   * keys ({@link dev.cairn.trust.SignatureCheck}); empty otherwise, even for a signed snapshot.
   */
  public Optional<SignatureFile> signature() {
    return Optional.ofNullable(signature);
  }

  public String describe() {
    return source.describe();
  }

  public ByteSource source() {
    return source;
  }

  public Optional<Snapshot> parent() {
    return Optional.ofNullable(parent);
  }

  public ReadStatsCounter stats() {
    return stats;
  }

  public BlockCache blockCache() {
    return blockCache;
  }

  public List<StreamReader> streams() {
    return streams;
  }

  public StreamReader stream(int index) {
    return streams.get(index);
  }

  /** Byte offset where block data begins (after the header and dictionary). */
  public long dataStart() {
    return dataStart;
  }

  /** Byte offset where block data and index pages end (the footer's offset). */
  public long dataEnd() {
    return dataEnd;
  }

  @Override
  public void close() throws IOException {
    decoder.close();
    source.close();
  }
}
