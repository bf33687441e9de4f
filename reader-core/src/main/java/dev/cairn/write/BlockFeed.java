package dev.cairn.write;

import dev.cairn.format.BlockEntry;
import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * Where a {@link SnapshotWriter} gets one stream's logical bytes, block by block, in order. Called
 * from the writer's thread only, so implementations need not be thread-safe.
 */
public interface BlockFeed {

  /** The stream's logical size in bytes. */
  long size() throws IOException;

  /**
   * Supplies block {@code block}. Either fills {@code dst} (cleared, limit set to the block's
   * logical length) and returns null, or, for a block known to be unchanged from the parent, leaves
   * {@code dst} alone and returns the parent's entry, so the block is written as an inherited
   * reference carrying the parent's content hash.
   */
  BlockEntry read(long block, ByteBuffer dst) throws IOException;
}
