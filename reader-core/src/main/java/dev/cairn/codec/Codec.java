package dev.cairn.codec;

import dev.cairn.format.CodecType;

/**
 * A block compression algorithm. Each block is compressed on its own, so any block can be
 * decompressed without its neighbours.
 *
 * <p>Codec objects are stateless singletons and thread-safe; the {@link Compressor} and {@link
 * Decompressor} they create hold native contexts and are not: give each thread its own, and reuse
 * it, because creating one is far more expensive than using it.
 */
public sealed interface Codec permits NoneCodec, Lz4Codec, ZstdCodec {

  CodecType type();

  /** An upper bound on the compressed size of {@code length} input bytes. */
  int maxCompressedLength(int length);

  /**
   * Creates a compressor at {@code level} (checked against {@link CodecType#minLevel()} and {@link
   * CodecType#maxLevel()}), primed with {@code dictionary} if it is not null.
   */
  Compressor newCompressor(int level, byte[] dictionary);

  /** Creates a decompressor, primed with {@code dictionary} if it is not null. */
  Decompressor newDecompressor(byte[] dictionary);

  /** The codec for a type. */
  static Codec of(CodecType type) {
    return switch (type) {
      case NONE -> NoneCodec.INSTANCE;
      case LZ4 -> Lz4Codec.INSTANCE;
      case ZSTD -> ZstdCodec.INSTANCE;
    };
  }

  /** Throws if {@code level} is outside the type's range. */
  static void checkLevel(CodecType type, int level) {
    if (level < type.minLevel() || level > type.maxLevel()) {
      throw new IllegalArgumentException(
          type.displayName()
              + " level "
              + level
              + " is out of range "
              + type.minLevel()
              + ".."
              + type.maxLevel());
    }
  }
}
