package dev.cairn.delta;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * A frozen picture of a {@link DeltaStore}; see {@link DeltaStore#view()}: a private copy of the
 * map, the logical size, and the spill file to read from. Valid until it or the store is closed;
 * while it is open, the store's compaction is skipped (it pins it).
 *
 * <p><b>Thread safety:</b> thread-safe (it is immutable apart from closing, which takes the store's
 * mutex).
 */
public final class StoreView implements Closeable {
  private final LongLongMap map;
  private final long size;
  private final long limit;
  private final int chunkSize;
  private final DeltaAllocator source;
  private final Object mutex;
  private final StoreCompaction compaction;
  private boolean closed;

  StoreView(
      LongLongMap map,
      long size,
      long limit,
      int chunkSize,
      DeltaAllocator source,
      Object mutex,
      StoreCompaction compaction) {
    this.map = map;
    this.size = size;
    this.limit = limit;
    this.chunkSize = chunkSize;
    this.source = source;
    this.mutex = mutex;
    this.compaction = compaction;
  }

  /** The logical size when the view was taken. */
  public long logicalSize() {
    return size;
  }

  public int chunkSize() {
    return chunkSize;
  }

  /** True if chunk {@code chunk} was stored (and lies before the logical size). */
  public boolean contains(long chunk) {
    return chunk < limit && map.containsKey(chunk);
  }

  /** Like {@link DeltaStore#read}, as of the view. */
  public boolean read(long chunk, int from, ByteBuffer dst) throws IOException {
    if (chunk >= limit) {
      return false;
    }
    long loc = map.get(chunk, -1);
    if (loc < 0) {
      return false;
    }
    source.read(loc, chunk, from, dst);
    return true;
  }

  /** The stored chunks before the logical size, ascending. */
  public long[] sortedChunks() {
    long[] all = map.sortedKeys();
    int n = 0;
    while (n < all.length && all[n] < limit) {
      n++;
    }
    return n == all.length ? all : Arrays.copyOf(all, n);
  }

  @Override
  public void close() {
    synchronized (mutex) {
      if (!closed) {
        closed = true;
        compaction.unpin();
      }
    }
  }
}
