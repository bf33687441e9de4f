package dev.cairn.codec;

import java.nio.ByteBuffer;

/**
 * The part of a {@link Decompressor} every compressing codec shares: a block must decompress to
 * exactly the length the caller expects, and {@code dst} then ends at its limit. A codec supplies
 * only the decoding step. Not thread-safe, like every decompressor.
 */
abstract class ExactLengthDecompressor implements Decompressor {
  private final String codec;

  /** {@code codec} prefixes every message, e.g. {@code "lz4"}. */
  ExactLengthDecompressor(String codec) {
    this.codec = codec;
  }

  @Override
  public final void decompress(ByteBuffer src, ByteBuffer dst) throws MalformedBlockException {
    int want = dst.remaining();
    int n = decode(src, dst, want);
    if (n != want) {
      throw new MalformedBlockException(
          codec + ": decompressed to " + n + " bytes, expected " + want, null);
    }
    dst.position(dst.limit());
  }

  /**
   * Decodes {@code src}'s remaining bytes into at most {@code want} bytes of {@code dst} from its
   * position, moving neither buffer, and returns how many bytes it wrote.
   */
  abstract int decode(ByteBuffer src, ByteBuffer dst, int want) throws MalformedBlockException;

  /** The codec's own rejection of the input, as a malformed block. */
  final MalformedBlockException malformed(RuntimeException e) {
    return new MalformedBlockException(codec + ": " + e.getMessage(), e);
  }
}
