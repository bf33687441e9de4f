package dev.cairn.codec;

import dev.cairn.format.CodecType;
import java.nio.ByteBuffer;
import net.jpountz.lz4.LZ4Compressor;
import net.jpountz.lz4.LZ4Exception;
import net.jpountz.lz4.LZ4Factory;
import net.jpountz.lz4.LZ4SafeDecompressor;

/**
 * LZ4 block format via lz4-java's native binding. Level 0 is LZ4's fast mode (what {@code
 * mksquashfs -comp lz4} uses); levels 1–17 select LZ4-HC. Decompression always uses the bounds-
 * checked decoder, because stored bytes are untrusted. Thread-safe singleton.
 */
public final class Lz4Codec implements Codec {
  static final Lz4Codec INSTANCE = new Lz4Codec();
  private static final LZ4Factory FACTORY = LZ4Factory.fastestInstance();

  private Lz4Codec() {}

  @Override
  public CodecType type() {
    return CodecType.LZ4;
  }

  @Override
  public int maxCompressedLength(int length) {
    return FACTORY.fastCompressor().maxCompressedLength(length);
  }

  @Override
  public Compressor newCompressor(int level, byte[] dictionary) {
    Codec.checkLevel(CodecType.LZ4, level);
    LZ4Compressor c = level == 0 ? FACTORY.fastCompressor() : FACTORY.highCompressor(level);
    return new Compressor() {
      @Override
      public int compress(ByteBuffer src, ByteBuffer dst) {
        try {
          int n =
              c.compress(
                  src, src.position(), src.remaining(), dst, dst.position(), dst.remaining());
          dst.position(dst.position() + n);
          return n;
        } catch (LZ4Exception e) {
          return -1;
        }
      }

      @Override
      public void close() {}
    };
  }

  @Override
  public Decompressor newDecompressor(byte[] dictionary) {
    LZ4SafeDecompressor d = FACTORY.safeDecompressor();
    return new ExactLengthDecompressor("lz4") {
      @Override
      int decode(ByteBuffer src, ByteBuffer dst, int want) throws MalformedBlockException {
        try {
          return d.decompress(src, src.position(), src.remaining(), dst, dst.position(), want);
        } catch (LZ4Exception e) {
          throw malformed(e);
        }
      }

      @Override
      public void close() {}
    };
  }
}
