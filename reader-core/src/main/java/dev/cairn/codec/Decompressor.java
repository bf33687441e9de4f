package dev.cairn.codec;

import java.nio.ByteBuffer;

/**
 * Decompresses single blocks. Not thread-safe: one per thread (or per pooled scratch area), reused.
 */
public interface Decompressor extends AutoCloseable {

  /**
   * Decompresses all of {@code src}'s remaining bytes into exactly {@code dst.remaining()} bytes of
   * {@code dst}, advancing {@code dst}'s position to its limit. Both buffers must be direct, or
   * both heap. Input that is malformed or does not produce exactly that many bytes throws {@link
   * MalformedBlockException}; it never writes outside {@code dst}'s remaining range.
   */
  void decompress(ByteBuffer src, ByteBuffer dst) throws MalformedBlockException;

  @Override
  void close();
}
