package dev.cairn.write;

import dev.cairn.codec.Codec;
import dev.cairn.crypto.KeyRing;
import dev.cairn.format.CodecType;
import dev.cairn.format.HashAlgorithm;
import dev.cairn.format.Header;
import dev.cairn.format.SnapshotId;

/**
 * How a snapshot is written: codec and level, content hash algorithm, block size, index page size,
 * compression threads, and the parent a thin snapshot points at. Immutable.
 *
 * @param contentHash the index's content hash; a thin snapshot must use its parent's
 * @param parentId the parent's id, or {@link SnapshotId#NONE} for a standalone snapshot
 * @param parentPathHint the parent's path relative to the child's directory ("" if none)
 * @param sealing the master key and its derivation to encrypt with, or null for a plain snapshot
 */
public record WriterOptions(
    CodecType codec,
    int level,
    HashAlgorithm contentHash,
    int blockSizeLog2,
    int entriesPerPage,
    int threads,
    SnapshotId parentId,
    String parentPathHint,
    KeyRing.Sealing sealing) {

  public static final int DEFAULT_BLOCK_LOG2 = 16;
  public static final int DEFAULT_ENTRIES_PER_PAGE = 1024;

  public WriterOptions {
    Codec.checkLevel(codec, level);
    if (contentHash == null) {
      throw new IllegalArgumentException("no content hash algorithm");
    }
    if (blockSizeLog2 < Header.MIN_BLOCK_LOG2 || blockSizeLog2 > Header.MAX_BLOCK_LOG2) {
      throw new IllegalArgumentException(
          "block size must be a power of two from 4K to 1M, not 2^" + blockSizeLog2);
    }
    if (entriesPerPage < 1 || entriesPerPage > Header.MAX_ENTRIES_PER_PAGE) {
      throw new IllegalArgumentException("entries per page out of range: " + entriesPerPage);
    }
    if (threads < 1) {
      throw new IllegalArgumentException("threads must be positive");
    }
  }

  /**
   * Defaults: lz4 fast, XXH3-128 content hashes, 64 KiB blocks, one compression thread per core, no
   * parent.
   */
  public static WriterOptions defaults() {
    return new WriterOptions(
        CodecType.LZ4,
        CodecType.LZ4.defaultLevel(),
        HashAlgorithm.defaultAlgorithm(),
        DEFAULT_BLOCK_LOG2,
        DEFAULT_ENTRIES_PER_PAGE,
        Runtime.getRuntime().availableProcessors(),
        SnapshotId.NONE,
        "",
        null);
  }

  public WriterOptions withCodec(CodecType c, int lvl) {
    return new WriterOptions(
        c,
        lvl,
        contentHash,
        blockSizeLog2,
        entriesPerPage,
        threads,
        parentId,
        parentPathHint,
        sealing);
  }

  public WriterOptions withBlockSizeLog2(int log2) {
    return new WriterOptions(
        codec,
        level,
        contentHash,
        log2,
        entriesPerPage,
        threads,
        parentId,
        parentPathHint,
        sealing);
  }

  public WriterOptions withEntriesPerPage(int n) {
    return new WriterOptions(
        codec, level, contentHash, blockSizeLog2, n, threads, parentId, parentPathHint, sealing);
  }

  public WriterOptions withThreads(int n) {
    return new WriterOptions(
        codec,
        level,
        contentHash,
        blockSizeLog2,
        entriesPerPage,
        n,
        parentId,
        parentPathHint,
        sealing);
  }

  public WriterOptions withParent(SnapshotId id, String hint) {
    return new WriterOptions(
        codec, level, contentHash, blockSizeLog2, entriesPerPage, threads, id, hint, sealing);
  }

  /**
   * A thin snapshot of {@code parent}: its id, the path hint to it, and its content hash algorithm
   * (a child compares its blocks' hashes with the parent's, so both must use the same one).
   */
  public WriterOptions withParent(Header parent, String hint) {
    return withParent(parent.snapshotId(), hint).withContentHash(parent.contentHash());
  }

  public WriterOptions withContentHash(HashAlgorithm h) {
    return new WriterOptions(
        codec, level, h, blockSizeLog2, entriesPerPage, threads, parentId, parentPathHint, sealing);
  }

  /** Encrypted with {@code s}'s master key (null: plain). */
  public WriterOptions withSealing(KeyRing.Sealing s) {
    return new WriterOptions(
        codec,
        level,
        contentHash,
        blockSizeLog2,
        entriesPerPage,
        threads,
        parentId,
        parentPathHint,
        s);
  }

  public boolean encrypted() {
    return sealing != null;
  }

  public int blockSize() {
    return 1 << blockSizeLog2;
  }
}
