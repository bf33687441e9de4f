package dev.cairn.codec;

import java.nio.ByteBuffer;

/**
 * Compresses single blocks. Not thread-safe: one per thread, reused for many blocks, closed when
 * the thread is done (it may hold native memory).
 */
public interface Compressor extends AutoCloseable {

  /**
   * Compresses {@code src}'s remaining bytes into {@code dst} from its position. Both buffers must
   * be direct, or both heap. On success advances {@code dst}'s position and returns the compressed
   * length; returns -1 and leaves {@code dst} unchanged if the result would not fit in {@code
   * dst.remaining()}. {@code src} is not modified.
   */
  int compress(ByteBuffer src, ByteBuffer dst);

  @Override
  void close();
}
