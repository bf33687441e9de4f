package dev.cairn.read;

import dev.cairn.error.CorruptSnapshotException;
import dev.cairn.format.BlockEntry;
import dev.cairn.format.BlockKind;
import dev.cairn.format.IndexPage;
import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * Reads the logical bytes of one stream of a {@link Snapshot}: any offset, any length. A read
 * travels one line: {@link BlockIndex} locates each block, the shared {@link BlockCache} serves it
 * or a miss is loaded once through the {@link BlockDecoder} (byte source, CRC32C, decompression);
 * inherited blocks are read from the parent's stream, zero blocks are filled in. Damaged blocks
 * raise {@link CorruptSnapshotException} naming the stream and block, and are never returned as
 * data.
 *
 * <p>A block wanted whole is decompressed straight into the caller's buffer. A part of a block is
 * decoded in scratch memory and copied out, unless the block was read in pieces lately ({@link
 * BlockCache#readLately}): then it is decoded once into the cache, which serves its next pieces.
 *
 * <p>Every collaborator is given at construction; the reader never asks its {@link Snapshot} for
 * anything (it only hands it out through {@link #snapshot()}).
 *
 * <p>Thread-safe.
 */
public final class StreamReader {
  private static final ByteBuffer ZEROS = ByteBuffer.allocateDirect(1 << 20).asReadOnlyBuffer();

  private final Snapshot snapshot;
  private final int index;
  private final String name;
  private final BlockIndex blocks;
  private final BlockDecoder decoder;
  private final BlockCache cache;
  private final int cacheOwner;
  private final ReadStatsCounter stats;
  private final StreamReader parent;
  private final Prefetcher prefetcher;
  private final StoredSpans spans;
  private final long size;
  private final int blockSize;
  private final int blockLog2;

  /**
   * @param snapshot the snapshot this stream belongs to (only handed out, never called)
   * @param cacheOwner the snapshot's owner id in {@code cache}, so chain members' keys differ
   * @param parent the parent snapshot's stream of the same index, or null
   */
  StreamReader(
      Snapshot snapshot,
      int index,
      String name,
      BlockIndex blocks,
      BlockDecoder decoder,
      BlockCache cache,
      int cacheOwner,
      ReadStatsCounter stats,
      StreamReader parent) {
    this.snapshot = snapshot;
    this.index = index;
    this.name = name;
    this.blocks = blocks;
    this.decoder = decoder;
    this.cache = cache;
    this.cacheOwner = cacheOwner;
    this.stats = stats;
    this.parent = parent;
    this.size = blocks.size();
    this.blockSize = blocks.blockSize();
    this.blockLog2 = blocks.blockLog2();
    this.prefetcher = cache.prefetch() ? new Prefetcher(this, cache.capacity()) : null;
    this.spans = new StoredSpans(blocks, decoder, cache, cacheOwner, index);
  }

  /** The file name this stream is exposed under. */
  public String name() {
    return name;
  }

  /** 0 for the primary stream, 1 for the secondary. */
  public int index() {
    return index;
  }

  /** Logical size in bytes. */
  public long size() {
    return size;
  }

  public long blockCount() {
    return blocks.blockCount();
  }

  public int blockSize() {
    return blockSize;
  }

  public Snapshot snapshot() {
    return snapshot;
  }

  /** The logical length of block {@code block}: the block size, or less for the last block. */
  public int blockLength(long block) {
    return blocks.blockLength(block);
  }

  /** The index entry of a block. */
  public BlockEntry entry(long block) throws IOException {
    checkBlock(block);
    return blocks.entry(block);
  }

  /**
   * Reads up to {@code dst.remaining()} bytes starting at {@code offset}, stopping at the end of
   * the stream. Returns the number of bytes read (0 at or past the end) and advances {@code dst}'s
   * position by that much.
   */
  public int read(long offset, ByteBuffer dst) throws IOException {
    if (offset < 0) {
      throw new IllegalArgumentException("negative offset " + offset);
    }
    if (offset >= size || !dst.hasRemaining()) {
      return 0;
    }
    long started = System.nanoTime();
    int total = (int) Math.min(dst.remaining(), size - offset);
    if (prefetcher != null) {
      prefetcher.onRead(offset, total);
    }
    int start = dst.position();
    long firstBlock = offset >>> blockLog2;
    long lastBlock = (offset + total - 1) >>> blockLog2;
    if (lastBlock > firstBlock) {
      spans.announce(firstBlock, lastBlock);
    }
    SpanSplitter.enter();
    try {
      if (SpanSplitter.ENABLED
          && total >= SpanSplitter.MIN_SPLIT_BYTES
          && lastBlock > firstBlock
          && SpanSplitter.alone()) {
        // a large span of several blocks, alone in flight: its second half, from the block
        // boundary in the middle, on a helper if one is free
        long middle = (firstBlock + lastBlock + 1) >>> 1;
        int head = (int) ((middle << blockLog2) - offset);
        SpanSplitter.run(
            () -> readSpan(offset, dst, start, 0, head),
            () -> readSpan(offset, dst, start, head, total));
      } else {
        readSpan(offset, dst, start, 0, total);
      }
    } finally {
      SpanSplitter.exit();
    }
    dst.position(start + total);
    stats.recordRead(total, System.nanoTime() - started);
    return total;
  }

  /**
   * Reads bytes {@code [from, to)} of a span that starts at stream offset {@code offset} into
   * {@code dst} at {@code start + from}; leaves {@code dst}'s position alone.
   */
  private void readSpan(long offset, ByteBuffer dst, int start, int from, int to)
      throws IOException {
    int done = from;
    while (done < to) {
      long pos = offset + done;
      long block = blocks.blockOf(pos);
      int inBlock = blocks.offsetInBlock(pos);
      int n = Math.min(blocks.blockLength(block) - inBlock, to - done);
      ByteBuffer target = dst.duplicate();
      target.limit(start + done + n).position(start + done);
      readWithinBlock(block, inBlock, target);
      done += n;
    }
  }

  /**
   * Fills {@code dst}'s remaining bytes from block {@code block} starting at {@code inBlock}. The
   * range must lie inside the block.
   */
  void readWithinBlock(long block, int inBlock, ByteBuffer dst) throws IOException {
    IndexPage page = blocks.page(block);
    int i = blocks.slot(block);
    BlockKind kind = page.kind(i);
    switch (kind) {
      case ZERO -> {
        stats.recordZeroBlock();
        while (dst.hasRemaining()) {
          int n = Math.min(dst.remaining(), ZEROS.capacity());
          dst.put(ZEROS.duplicate().limit(n));
        }
      }
      case PARENT -> {
        if (parent == null || parent.blockLength(block) < inBlock + dst.remaining()) {
          throw decoder.corrupt(
              name,
              block,
              parent == null
                  ? "block is inherited from a parent snapshot that is not open"
                  : "block is inherited from past the end of the parent's stream",
              null);
        }
        parent.readWithinBlock(block, inBlock, dst);
      }
      case COMPRESSED, RAW -> {
        int length = blocks.blockLength(block);
        long key = BlockCache.key(cacheOwner, index, block);
        ByteBuffer cached = cache.getIfPresent(key);
        if (cached != null) {
          stats.recordCacheHit();
          if (prefetcher != null && prefetcher.consume(block)) {
            stats.recordPrefetchHit();
          }
          dst.put(cached.duplicate().position(inBlock).limit(inBlock + dst.remaining()));
        } else if (inBlock == 0
            && dst.remaining() == length
            && dst.isDirect()
            && (prefetcher == null || !prefetcher.isInFlight(block))) {
          stats.recordCacheMiss();
          decoder.decode(page, i, index, name, block, dst, false);
        } else {
          stats.recordCacheMiss();
          if (!cache.readLately(key)) {
            // a random read: decoded in scratch memory; only a block read again soon takes a
            // block of heap in the cache
            decoder.decodePart(page, i, index, name, block, length, inBlock, dst);
          } else {
            ByteBuffer whole = cachedBlock(page, i, block, key, length);
            dst.put(whole.duplicate().position(inBlock).limit(inBlock + dst.remaining()));
          }
        }
      }
    }
  }

  /**
   * Fetches the stored bytes of block {@code block} from the snapshot's source without decoding
   * them (inherited blocks from the parent that holds them), unless the block holds no data or is
   * in the block cache: what an access profile's background fetch does, so that a remote source's
   * chunk cache has the block before a reader asks. Returns the stored bytes read.
   *
   * @throws IOException if the source cannot be read (the profile's fetch stops; reads go on)
   */
  public int fetch(long block) throws IOException {
    checkBlock(block);
    IndexPage page = blocks.page(block);
    int i = blocks.slot(block);
    BlockKind kind = page.kind(i);
    if (kind == BlockKind.PARENT) {
      return parent == null || block >= parent.blockCount() ? 0 : parent.fetch(block);
    }
    if (!kind.hasData() || spans.cached(block)) {
      return 0;
    }
    return decoder.fetch(page, i);
  }

  /**
   * Like {@link #fetch(long)} for blocks {@code first .. first + count - 1} (those past the end are
   * skipped), reading the stored bytes of blocks that lie side by side in one read of up to {@value
   * BlockDecoder#MAX_SPAN} bytes: a background fetch of a run of blocks over a link with latency
   * then costs one request, not one per block. Returns the stored bytes read.
   */
  public long fetch(long first, int count) throws IOException {
    checkBlock(first);
    return spans.fetch(first, Math.min(blockCount(), first + Math.max(0, count)), parent);
  }

  /**
   * Loads block {@code block} into the cache if it has data and is not cached yet (for the
   * prefetcher); inherited blocks are warmed in the parent. Returns true if it loaded something.
   */
  boolean warm(long block) throws IOException {
    IndexPage page = blocks.page(block);
    int i = blocks.slot(block);
    BlockKind kind = page.kind(i);
    if (kind == BlockKind.PARENT && parent != null) {
      return parent.warm(block);
    }
    if (!kind.hasData()) {
      return false;
    }
    long key = BlockCache.key(cacheOwner, index, block);
    if (cache.getIfPresent(key) != null) {
      return false;
    }
    int length = blocks.blockLength(block);
    cachedBlock(page, i, block, key, length);
    stats.recordPrefetch(length);
    return true;
  }

  private ByteBuffer cachedBlock(IndexPage page, int i, long block, long key, int length)
      throws IOException {
    try {
      return cache.get(
          key,
          k -> {
            // Cached blocks live on the heap: a byte[] costs the collector little, while a
            // direct buffer per miss costs a native allocation, zeroing and a cleaner.
            ByteBuffer b = ByteBuffer.allocate(length);
            try {
              decoder.decode(page, i, index, name, block, b, true);
            } catch (IOException e) {
              throw new UncheckedBlockException(e);
            }
            return b.flip().asReadOnlyBuffer();
          });
    } catch (UncheckedBlockException e) {
      throw e.getCause();
    }
  }

  /**
   * Reads block {@code block}'s logical bytes into {@code dst} (at least {@link #blockLength(long)}
   * bytes remaining), advancing its position by that length.
   */
  public void readBlock(long block, ByteBuffer dst) throws IOException {
    checkBlock(block);
    int length = blockLength(block);
    ByteBuffer target = dst.duplicate();
    target.limit(dst.position() + length);
    readWithinBlock(block, 0, target);
    dst.position(dst.position() + length);
  }

  private void checkBlock(long block) {
    if (block < 0 || block >= blocks.blockCount()) {
      throw new IndexOutOfBoundsException(
          "block " + block + " of " + blocks.blockCount() + " in " + name);
    }
  }
}
