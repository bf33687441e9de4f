package dev.cairn.overlay;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * The overlay's chunks as the read path sees them: the live store, or a frozen view of it. A chunk
 * that is not in the layer comes from the base snapshot (or is zero past its end).
 *
 * <p>Implementations are thread-safe.
 */
interface ChunkLayer {

  /** True if the layer holds chunk {@code chunk}. */
  boolean contains(long chunk);

  /**
   * Reads {@code dst.remaining()} bytes of chunk {@code chunk} from {@code from} into {@code dst}
   * if the layer holds it; returns false and leaves {@code dst} alone if not.
   */
  boolean read(long chunk, int from, ByteBuffer dst) throws IOException;
}
