package dev.cairn.delta;

import java.nio.ByteBuffer;

/**
 * Compresses spill groups with a {@link ChunkCompressor} when that saves space, and stops trying
 * for a while when it keeps failing: incompressible data (media, encrypted or already compressed
 * files) fails every attempt, so after {@value #FAILURES_BEFORE_SKIPPING} failures in a row the
 * next {@value #GROUPS_SKIPPED} groups are stored raw without trying.
 *
 * <p><b>Thread safety:</b> not thread-safe; the spill writer calls it under its lock.
 */
final class AdaptiveCompression {
  private static final int FAILURES_BEFORE_SKIPPING = 4;
  private static final int GROUPS_SKIPPED = 60;

  private final ChunkCompressor compressor;
  private int failedInARow;
  private int skip;

  AdaptiveCompression(ChunkCompressor compressor) {
    this.compressor = compressor;
  }

  /**
   * Compresses {@code raw} into {@code dst} at its position if that saves space and is worth
   * trying; returns the compressed length (dst advanced) or -1 (dst's position unchanged).
   */
  int tryCompress(ByteBuffer raw, ByteBuffer dst) {
    if (skip > 0) {
      skip--;
      return -1;
    }
    int start = dst.position();
    int c = compressor.compress(raw.duplicate(), dst);
    if (c < 0 || c >= raw.remaining()) {
      dst.position(start);
      if (++failedInARow >= FAILURES_BEFORE_SKIPPING) {
        failedInARow = 0;
        skip = GROUPS_SKIPPED;
      }
      return -1;
    }
    failedInARow = 0;
    return c;
  }

  /** How many of the next groups will be stored raw without trying. */
  int skipping() {
    return skip;
  }

  /** Records that {@code groups} groups were stored raw without asking {@link #tryCompress}. */
  void skipped(int groups) {
    skip -= groups;
  }
}
