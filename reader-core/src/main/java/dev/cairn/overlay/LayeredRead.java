package dev.cairn.overlay;

import dev.cairn.read.StreamReader;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * The read side of an overlay, shared by the live {@link OverlayImage} and a frozen {@link
 * OverlayView}: byte ranges assembled from overlay chunks where they exist, the base stream below
 * its size, and zeros past it.
 *
 * <p>Stateless and thread-safe.
 */
final class LayeredRead {
  private static final ByteBuffer ZEROS = ByteBuffer.allocateDirect(64 << 10);

  private LayeredRead() {}

  /**
   * Reads up to {@code dst.remaining()} bytes at {@code offset}, stopping at {@code size}; returns
   * the count and advances {@code dst} by it. Consecutive chunks that the layer lacks are read from
   * the base in one call, so that a large read of unchanged data still takes the base's fast
   * whole-block path.
   */
  static int read(
      ChunkLayer layer,
      StreamReader base,
      long baseSize,
      long size,
      int chunkShift,
      long offset,
      ByteBuffer dst)
      throws IOException {
    if (offset < 0) {
      throw new IllegalArgumentException("negative offset " + offset);
    }
    if (offset >= size || !dst.hasRemaining()) {
      return 0;
    }
    int total = (int) Math.min(dst.remaining(), size - offset);
    int start = dst.position();
    int limit = dst.limit();
    int chunkSize = 1 << chunkShift;
    // Windows are set on dst itself (and its limit restored at the end) instead of slicing, so a
    // read allocates nothing.
    try {
      long runPos = 0;
      int runAt = 0;
      int runLen = 0;
      int done = 0;
      while (done < total) {
        long pos = offset + done;
        int in = (int) (pos & (chunkSize - 1));
        int n = Math.min(chunkSize - in, total - done);
        dst.limit(start + done + n).position(start + done);
        if (layer.read(pos >>> chunkShift, in, dst)) {
          if (runLen > 0) {
            fillFromBase(base, baseSize, runPos, dst, runAt, runLen);
            runLen = 0;
          }
        } else {
          if (runLen == 0) {
            runPos = pos;
            runAt = start + done;
          }
          runLen += n;
        }
        done += n;
      }
      if (runLen > 0) {
        fillFromBase(base, baseSize, runPos, dst, runAt, runLen);
      }
    } finally {
      dst.limit(limit);
    }
    dst.position(start + total);
    return total;
  }

  /**
   * Fills {@code dst[at, at + len)} with the logical bytes at {@code pos} of a region the layer
   * does not hold: the base's bytes below its size, zeros above. Leaves dst's limit at {@code at +
   * len}.
   */
  static void fillFromBase(
      StreamReader base, long baseSize, long pos, ByteBuffer dst, int at, int len)
      throws IOException {
    int fromBase = (int) Math.max(0, Math.min(len, baseSize - pos));
    if (fromBase > 0) {
      dst.limit(at + fromBase).position(at);
      while (dst.hasRemaining()) {
        int n = base.read(pos + (dst.position() - at), dst);
        if (n <= 0) {
          throw new EOFException(
              base.snapshot().describe()
                  + ": base stream ended early at "
                  + (pos + dst.position() - at));
        }
      }
    }
    dst.limit(at + len);
    zero(dst, at + fromBase, at + len);
  }

  /** Zeroes {@code dst[from, to)} without moving its position. */
  static void zero(ByteBuffer dst, int from, int to) {
    if (dst.hasArray()) {
      Arrays.fill(dst.array(), dst.arrayOffset() + from, dst.arrayOffset() + to, (byte) 0);
      return;
    }
    for (int i = from; i < to; ) {
      int n = Math.min(to - i, ZEROS.capacity());
      dst.put(i, ZEROS, 0, n);
      i += n;
    }
  }

  /**
   * True if block {@code block} (of {@code blockSize} bytes) differs from the base's block at the
   * same index: the layer holds a chunk inside it, or its extent differs from the base's because
   * the overlay grew (a new block, or the base's short last block now longer).
   */
  static boolean isBlockChanged(
      ChunkLayer layer, long baseSize, long size, int chunkShift, long block, int blockSize) {
    long start = block * blockSize;
    if (block < 0 || blockSize <= 0 || start >= size) {
      throw new IndexOutOfBoundsException(
          "block " + block + " of " + blockSize + " bytes lies past the end " + size);
    }
    long end = Math.min(start + blockSize, size);
    if (end != Math.min(start + blockSize, baseSize)) {
      return true;
    }
    for (long c = start >>> chunkShift; c <= (end - 1) >>> chunkShift; c++) {
      if (layer.contains(c)) {
        return true;
      }
    }
    return false;
  }

  /**
   * The blocks for which {@link #isBlockChanged} holds, ascending, computed from the layer's chunks
   * (sorted) instead of by probing every block.
   */
  static long[] changedBlocks(
      long[] sortedChunks, long baseSize, long size, int chunkShift, int blockSize) {
    long blocks = (size + blockSize - 1) / blockSize;
    long[] out = new long[16];
    int n = 0;
    for (long c : sortedChunks) {
      long first = (c << chunkShift) / blockSize;
      long last = Math.min(blocks - 1, (((c + 1) << chunkShift) - 1) / blockSize);
      for (long b = first; b <= last; b++) {
        if (n == 0 || out[n - 1] < b) {
          if (n == out.length) {
            out = Arrays.copyOf(out, n * 2);
          }
          out[n++] = b;
        }
      }
    }
    if (size > baseSize) {
      long from = baseSize / blockSize;
      long[] grown = new long[Math.toIntExact(blocks - from)];
      for (int i = 0; i < grown.length; i++) {
        grown[i] = from + i;
      }
      long[] merged = Arrays.copyOf(out, n + grown.length);
      System.arraycopy(grown, 0, merged, n, grown.length);
      return Arrays.stream(merged).sorted().distinct().toArray();
    }
    return Arrays.copyOf(out, n);
  }

  /**
   * Reads block {@code block} of {@code blockSize} bytes (up to {@code size}) through {@code
   * reader} into {@code dst}, which needs that many bytes remaining; returns the block's length.
   */
  static int readBlock(
      OverlayImage.Reader reader, long size, long block, int blockSize, ByteBuffer dst)
      throws IOException {
    long start = block * blockSize;
    if (block < 0 || start >= size) {
      throw new IndexOutOfBoundsException("block " + block + " lies past the end " + size);
    }
    int len = (int) Math.min(blockSize, size - start);
    if (dst.remaining() < len) {
      throw new IllegalArgumentException(
          "block needs " + len + " bytes, dst has " + dst.remaining());
    }
    int limit = dst.limit();
    dst.limit(dst.position() + len);
    try {
      while (dst.hasRemaining()) {
        if (reader.read(start + len - dst.remaining(), dst) <= 0) {
          throw new EOFException("block " + block + " ended early");
        }
      }
    } finally {
      dst.limit(limit);
    }
    return len;
  }
}
