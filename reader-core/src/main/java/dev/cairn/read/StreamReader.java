package dev.cairn.read;

import dev.cairn.codec.MalformedBlockException;
import dev.cairn.format.BlockEntry;
import dev.cairn.format.BlockKind;
import dev.cairn.format.CorruptSnapshotException;
import dev.cairn.format.Footer;
import dev.cairn.format.IndexPage;
import dev.cairn.io.Crc;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * Reads the logical bytes of one stream of a {@link Snapshot}: any offset, any length. Every block
 * read from storage is checked against its CRC32C before it is decompressed; damaged blocks raise
 * {@link CorruptSnapshotException} naming the stream and block, and are never returned as data.
 * Inherited blocks are read from the parent's stream, zero blocks are filled in.
 *
 * <p>A block wanted whole is decompressed straight into the caller's buffer; a partial block goes
 * through the shared {@link BlockCache}, so small random reads decompress each block once.
 *
 * <p>Thread-safe.
 */
public final class StreamReader {
  private static final ByteBuffer ZEROS = ByteBuffer.allocateDirect(1 << 20).asReadOnlyBuffer();

  private final Snapshot snapshot;
  private final int index;
  private final String name;
  private final long size;
  private final long blockCount;
  private final int blockSize;
  private final int blockLog2;
  private final int perPage;
  private final StreamReader parent;
  private final ReadStats stats;
  private final Prefetcher prefetcher;

  StreamReader(Snapshot snapshot, int index, Footer.StreamLayout layout, StreamReader parent) {
    this.snapshot = snapshot;
    this.index = index;
    this.name = snapshot.header().streamNames().get(index);
    this.size = layout.size();
    this.blockCount = layout.blockCount();
    this.blockSize = snapshot.header().blockSize();
    this.blockLog2 = snapshot.header().blockSizeLog2();
    this.perPage = snapshot.header().entriesPerPage();
    this.parent = parent;
    this.stats = snapshot.stats();
    this.prefetcher =
        snapshot.blockCache().prefetch()
            ? new Prefetcher(this, snapshot.blockCache().capacity())
            : null;
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
    return blockCount;
  }

  public int blockSize() {
    return blockSize;
  }

  public Snapshot snapshot() {
    return snapshot;
  }

  /** The logical length of block {@code block}: the block size, or less for the last block. */
  public int blockLength(long block) {
    long start = block << blockLog2;
    return (int) Math.min(blockSize, size - start);
  }

  /** The index entry of a block. */
  public BlockEntry entry(long block) throws IOException {
    checkBlock(block);
    return snapshot.page(index, block / perPage).entry((int) (block % perPage));
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
    int total = (int) Math.min(dst.remaining(), size - offset);
    if (prefetcher != null) {
      prefetcher.onRead(offset, total);
    }
    int start = dst.position();
    SpanSplitter.enter();
    try {
      long firstBlock = offset >>> blockLog2;
      long lastBlock = (offset + total - 1) >>> blockLog2;
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
    stats.reads.increment();
    stats.bytesRead.add(total);
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
      long block = pos >>> blockLog2;
      int inBlock = (int) (pos & (blockSize - 1));
      int n = Math.min(blockLength(block) - inBlock, to - done);
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
    IndexPage page = snapshot.page(index, block / perPage);
    int i = (int) (block % perPage);
    BlockKind kind = page.kind(i);
    switch (kind) {
      case ZERO -> {
        stats.zeroBlocks.increment();
        while (dst.hasRemaining()) {
          int n = Math.min(dst.remaining(), ZEROS.capacity());
          dst.put(ZEROS.duplicate().limit(n));
        }
      }
      case PARENT -> {
        if (parent == null || parent.blockLength(block) < inBlock + dst.remaining()) {
          throw new CorruptSnapshotException(
              snapshot.describe(),
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
        int length = blockLength(block);
        long key = BlockCache.key(snapshot.cacheOwner(), index, block);
        ByteBuffer cached = snapshot.blockCache().getIfPresent(key);
        if (cached != null) {
          stats.cacheHits.increment();
          if (prefetcher != null && prefetcher.consume(block)) {
            stats.prefetchHits.increment();
          }
          dst.put(cached.duplicate().position(inBlock).limit(inBlock + dst.remaining()));
        } else if (inBlock == 0
            && dst.remaining() == length
            && dst.isDirect()
            && (prefetcher == null || !prefetcher.isInFlight(block))) {
          stats.cacheMisses.increment();
          load(page, i, block, dst);
        } else {
          stats.cacheMisses.increment();
          ByteBuffer whole = cachedBlock(page, i, block, key, length);
          dst.put(whole.duplicate().position(inBlock).limit(inBlock + dst.remaining()));
        }
      }
    }
  }

  /**
   * Loads block {@code block} into the cache if it has data and is not cached yet (for the
   * prefetcher); inherited blocks are warmed in the parent. Returns true if it loaded something.
   */
  boolean warm(long block) throws IOException {
    IndexPage page = snapshot.page(index, block / perPage);
    int i = (int) (block % perPage);
    BlockKind kind = page.kind(i);
    if (kind == BlockKind.PARENT && parent != null) {
      return parent.warm(block);
    }
    if (!kind.hasData()) {
      return false;
    }
    long key = BlockCache.key(snapshot.cacheOwner(), index, block);
    if (snapshot.blockCache().getIfPresent(key) != null) {
      return false;
    }
    cachedBlock(page, i, block, key, blockLength(block));
    stats.prefetchBlocks.increment();
    stats.prefetchBytes.add(blockLength(block));
    return true;
  }

  private ByteBuffer cachedBlock(IndexPage page, int i, long block, long key, int length)
      throws IOException {
    try {
      return snapshot
          .blockCache()
          .get(
              key,
              k -> {
                // Cached blocks live on the heap: a byte[] costs the collector little, while a
                // direct buffer per miss costs a native allocation, zeroing and a cleaner.
                ByteBuffer b = ByteBuffer.allocate(length);
                try {
                  load(page, i, block, b);
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
   * Reads, checks and decompresses a block with data into exactly {@code dst.remaining()} bytes,
   * which must be the block's logical length.
   */
  private void load(IndexPage page, int i, long block, ByteBuffer dst) throws IOException {
    int stored = page.storedLength(i);
    Scratch s = snapshot.takeScratch();
    ByteBuffer view = null;
    try {
      ByteBuffer in;
      try {
        // In place when the source can (a memory map): no copy of the stored bytes.
        view = snapshot.source().view(page.offset(i), stored);
        in = view;
        if (in == null) {
          in = s.stored.clear().limit(stored);
          snapshot.source().readFully(page.offset(i), in);
          in.flip();
        }
      } catch (EOFException e) {
        throw corrupt(block, "stored bytes lie past the end of the file", e);
      }
      stats.storedBytesFetched.add(stored);
      if (Crc.ofRemaining(in) != page.storedCrc(i)) {
        throw corrupt(block, "checksum mismatch in stored bytes (CRC32C)", null);
      }
      if (page.kind(i) == BlockKind.RAW) {
        if (stored != dst.remaining()) {
          throw corrupt(
              block, "raw block holds " + stored + " bytes, expected " + dst.remaining(), null);
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
        throw corrupt(block, e.getMessage(), e);
      }
      stats.decompressNanos.add(System.nanoTime() - t0);
      stats.blocksDecompressed.increment();
    } finally {
      if (view != null) {
        snapshot.source().release(view);
      }
      snapshot.giveScratch(s);
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
    if (block < 0 || block >= blockCount) {
      throw new IndexOutOfBoundsException("block " + block + " of " + blockCount + " in " + name);
    }
  }

  private CorruptSnapshotException corrupt(long block, String what, Throwable cause) {
    return new CorruptSnapshotException(snapshot.describe(), name, block, what, cause);
  }
}
