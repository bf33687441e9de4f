package dev.cairn.read;

import dev.cairn.format.BlockKind;
import dev.cairn.format.IndexPage;
import java.io.IOException;

/**
 * Groups a stream's blocks into the spans of stored bytes that one request to the byte source can
 * bring, for the two ways a {@link StreamReader} asks ahead of decoding: a background fetch of a
 * run of blocks ({@link #fetch}, an access profile's) and the announcement before a read of several
 * blocks ({@link #announce}). Both skip what the block cache holds and never decode.
 *
 * <p>Thread-safe: holds nothing but its collaborators.
 */
final class StoredSpans {
  private final BlockIndex blocks;
  private final BlockDecoder decoder;
  private final BlockCache cache;
  private final int cacheOwner;
  private final int index;

  StoredSpans(
      BlockIndex blocks, BlockDecoder decoder, BlockCache cache, int cacheOwner, int index) {
    this.blocks = blocks;
    this.decoder = decoder;
    this.cache = cache;
    this.cacheOwner = cacheOwner;
    this.index = index;
  }

  /** Whether block {@code b} is in the block cache. */
  boolean cached(long b) {
    return cache.getIfPresent(BlockCache.key(cacheOwner, index, b)) != null;
  }

  /**
   * Fetches the stored bytes of blocks {@code first .. end - 1} that have data and are not cached,
   * those lying side by side (zero blocks between them store nothing) in one read of up to {@value
   * BlockDecoder#MAX_SPAN} bytes; inherited blocks in {@code parent} (null: none). Returns the
   * stored bytes read.
   */
  long fetch(long first, long end, StreamReader parent) throws IOException {
    long total = 0;
    long b = first;
    while (b < end) {
      IndexPage page = blocks.page(b);
      int i = blocks.slot(b);
      BlockKind kind = page.kind(i);
      if (!kind.hasData() || cached(b)) {
        if (kind == BlockKind.PARENT && parent != null && b < parent.blockCount()) {
          total += parent.fetch(b); // inherited: fetched in the parent
        }
        b++; // zero, or cached already
        continue;
      }
      int n = 1; // blocks the span passes
      int withData = 1; // of which the last with stored bytes is block b + withData - 1
      long spanEnd = page.offset(i) + page.storedLength(i);
      while (b + n < end && blocks.slot(b + n) == i + n) {
        int j = i + n;
        if (page.kind(j) == BlockKind.ZERO) {
          n++; // stores nothing: the blocks on either side of it lie side by side
          continue;
        }
        long next = page.offset(j) + page.storedLength(j);
        if (!page.kind(j).hasData()
            || page.offset(j) != spanEnd
            || next - page.offset(i) > BlockDecoder.MAX_SPAN
            || cached(b + n)) {
          break;
        }
        spanEnd = next;
        n++;
        withData = n;
      }
      total += decoder.fetchSpan(page, i, withData);
      b += n;
    }
    return total;
  }

  /**
   * Before a read of blocks {@code first..last}: tells the source ({@link
   * dev.cairn.source.ByteSource#willRead}) the stored bytes of those neither the block cache nor
   * the source holds, two or more at a time where they lie in one index page in order within {@link
   * BlockDecoder#MAX_SPAN}, so that a remote source fetches them in one request rather than one per
   * block as they are decoded. A block the source holds between two it lacks is fetched with them.
   */
  void announce(long first, long last) throws IOException {
    IndexPage page = null;
    int from = -1;
    int to = -1;
    for (long b = first; b <= last; b++) {
      IndexPage p = blocks.page(b);
      int i = blocks.slot(b);
      if (!p.kind(i).hasData() || decoder.holds(p, i) || cached(b)) {
        continue;
      }
      if (page != null
          && (p != page
              || p.offset(i) < page.offset(to) + page.storedLength(to)
              || p.offset(i) + p.storedLength(i) - page.offset(from) > BlockDecoder.MAX_SPAN)) {
        if (to > from) {
          decoder.willRead(page, from, to);
        }
        page = null;
      }
      if (page == null) {
        page = p;
        from = i;
      }
      to = i;
    }
    if (page != null && to > from) {
      decoder.willRead(page, from, to);
    }
  }
}
