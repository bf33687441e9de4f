package dev.cairn.overlay;

import dev.cairn.delta.StoreView;
import dev.cairn.format.SnapshotId;
import dev.cairn.read.StreamReader;
import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * A consistent, read-only picture of an {@link OverlayImage} at one moment, for {@code commit}: a
 * private copy of the overlay's chunk map and its size, reading chunk data from immutable spill
 * records and everything else from the base. Writes to the overlay after the view was taken do not
 * show through, and no write was half-done when it was taken. While a view is open the overlay does
 * not compact its spill file.
 *
 * <p>Valid until it or its overlay is closed. <b>Thread safety:</b> thread-safe.
 */
public final class OverlayView implements Closeable {
  private final StoreView view;
  private final StreamReader base;
  private final long baseSize;
  private final int chunkShift;
  private final SnapshotId baseId;
  private final ChunkLayer layer;

  OverlayView(StoreView view, StreamReader base, long baseSize, SnapshotId baseId) {
    this.view = view;
    this.base = base;
    this.baseSize = baseSize;
    this.baseId = baseId;
    this.chunkShift = Integer.numberOfTrailingZeros(view.chunkSize());
    this.layer =
        new ChunkLayer() {
          @Override
          public boolean contains(long chunk) {
            return view.contains(chunk);
          }

          @Override
          public boolean read(long chunk, int from, ByteBuffer dst) throws IOException {
            return view.read(chunk, from, dst);
          }
        };
  }

  /** The overlay's logical size when the view was taken. */
  public long size() {
    return view.logicalSize();
  }

  /** The size of the base's primary stream. */
  public long baseSize() {
    return baseSize;
  }

  /** The base snapshot's id. */
  public SnapshotId baseId() {
    return baseId;
  }

  /** The base's primary stream, which unchanged blocks come from. */
  public StreamReader base() {
    return base;
  }

  public int chunkSize() {
    return view.chunkSize();
  }

  /** Like {@link OverlayImage#read}, as of the view. */
  public int read(long offset, ByteBuffer dst) throws IOException {
    return LayeredRead.read(layer, base, baseSize, size(), chunkShift, offset, dst);
  }

  /** Like {@link OverlayImage#isBlockChanged}, as of the view. */
  public boolean isBlockChanged(long block, int blockSize) {
    return LayeredRead.isBlockChanged(layer, baseSize, size(), chunkShift, block, blockSize);
  }

  /**
   * The indices of the blocks of {@code blockSize} bytes for which {@link #isBlockChanged} is true,
   * ascending: what a thin commit has to store.
   */
  public long[] changedBlocks(int blockSize) {
    return LayeredRead.changedBlocks(view.sortedChunks(), baseSize, size(), chunkShift, blockSize);
  }

  /**
   * Reads block {@code block} (its bytes up to the overlay's size) into {@code dst}, which needs
   * that many bytes remaining; returns the block's length.
   */
  public int readBlock(long block, int blockSize, ByteBuffer dst) throws IOException {
    return LayeredRead.readBlock(this::read, size(), block, blockSize, dst);
  }

  /** Releases the view (the overlay may compact again). Idempotent. */
  @Override
  public void close() {
    view.close();
  }
}
