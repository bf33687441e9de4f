package dev.cairn.read;

import dev.cairn.format.BlockEntry;
import dev.cairn.format.IndexPage;
import java.io.IOException;

/**
 * Locates the blocks of one stream: which block holds an offset and how long it is is arithmetic
 * over the fixed block size; what a block is (kind, stored position, checksum) is one slot of a
 * cached {@link IndexPage}. The page and the slot are handed out separately rather than as a
 * reference object, so locating a block allocates nothing.
 *
 * <p>Immutable and thread-safe.
 */
final class BlockIndex {
  private final IndexPages pages;
  private final int stream;
  private final long size;
  private final long blockCount;
  private final int blockSize;
  private final int blockLog2;
  private final int perPage;

  BlockIndex(IndexPages pages, int stream, long size, long blockCount, int blockLog2, int perPage) {
    this.pages = pages;
    this.stream = stream;
    this.size = size;
    this.blockCount = blockCount;
    this.blockSize = 1 << blockLog2;
    this.blockLog2 = blockLog2;
    this.perPage = perPage;
  }

  long size() {
    return size;
  }

  long blockCount() {
    return blockCount;
  }

  int blockSize() {
    return blockSize;
  }

  int blockLog2() {
    return blockLog2;
  }

  /** The block holding stream offset {@code offset}. */
  long blockOf(long offset) {
    return offset >>> blockLog2;
  }

  /** Where {@code offset} lies inside its block. */
  int offsetInBlock(long offset) {
    return (int) (offset & (blockSize - 1));
  }

  /** The logical length of {@code block}: the block size, or less for the last block. */
  int blockLength(long block) {
    return (int) Math.min(blockSize, size - (block << blockLog2));
  }

  /** The index page describing {@code block}. */
  IndexPage page(long block) throws IOException {
    return pages.get(stream, block / perPage);
  }

  /** {@code block}'s slot in its {@link #page(long)}. */
  int slot(long block) {
    return (int) (block % perPage);
  }

  /** The whole index entry of {@code block} (not for the hot path: it builds a record). */
  BlockEntry entry(long block) throws IOException {
    return page(block).entry(slot(block));
  }
}
