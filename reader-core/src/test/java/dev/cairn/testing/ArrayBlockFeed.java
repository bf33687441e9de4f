package dev.cairn.testing;

import dev.cairn.format.BlockEntry;
import dev.cairn.write.BlockFeed;
import java.nio.ByteBuffer;

/** Feeds a byte array to the writer. */
public final class ArrayBlockFeed implements BlockFeed {
  private final byte[] data;
  private final int blockSize;

  public ArrayBlockFeed(byte[] data, int blockSize) {
    this.data = data;
    this.blockSize = blockSize;
  }

  @Override
  public long size() {
    return data.length;
  }

  @Override
  public BlockEntry read(long block, ByteBuffer dst) {
    long start = block * blockSize;
    if (dst.remaining() != Math.min(blockSize, data.length - start)) {
      throw new AssertionError(
          "writer asked for "
              + dst.remaining()
              + " bytes of block "
              + block
              + " of "
              + data.length);
    }
    dst.put(data, (int) start, dst.remaining());
    return null;
  }
}
