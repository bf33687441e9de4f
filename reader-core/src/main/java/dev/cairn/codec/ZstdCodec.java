package dev.cairn.codec;

import com.github.luben.zstd.Zstd;
import com.github.luben.zstd.ZstdCompressCtx;
import com.github.luben.zstd.ZstdDecompressCtx;
import com.github.luben.zstd.ZstdDictCompress;
import com.github.luben.zstd.ZstdDictDecompress;
import com.github.luben.zstd.ZstdException;
import dev.cairn.format.CodecType;
import java.nio.ByteBuffer;

/**
 * Zstandard via zstd-jni, one frame per block, optionally with a trained dictionary. Frames carry
 * no checksum of their own: the snapshot's CRC32C already covers the stored bytes. Thread-safe
 * singleton; the contexts it hands out are not.
 */
public final class ZstdCodec implements Codec {
  static final ZstdCodec INSTANCE = new ZstdCodec();

  private ZstdCodec() {}

  @Override
  public CodecType type() {
    return CodecType.ZSTD;
  }

  @Override
  public int maxCompressedLength(int length) {
    return (int) Zstd.compressBound(length);
  }

  @Override
  public Compressor newCompressor(int level, byte[] dictionary) {
    Codec.checkLevel(CodecType.ZSTD, level);
    ZstdCompressCtx ctx = new ZstdCompressCtx();
    ctx.setLevel(level);
    ctx.setChecksum(false);
    // A digested dictionary (CDict): loading raw dictionary bytes instead would make zstd digest
    // them again at the start of every block, which at high levels costs more than compressing.
    ZstdDictCompress dict = dictionary == null ? null : new ZstdDictCompress(dictionary, level);
    if (dict != null) {
      ctx.loadDict(dict);
    }
    return new Compressor() {
      @Override
      public int compress(ByteBuffer src, ByteBuffer dst) {
        try {
          int n;
          if (src.isDirect() && dst.isDirect()) {
            n =
                ctx.compressDirectByteBuffer(
                    dst, dst.position(), dst.remaining(), src, src.position(), src.remaining());
          } else {
            n =
                ctx.compressByteArray(
                    dst.array(),
                    dst.arrayOffset() + dst.position(),
                    dst.remaining(),
                    src.array(),
                    src.arrayOffset() + src.position(),
                    src.remaining());
          }
          dst.position(dst.position() + n);
          return n;
        } catch (ZstdException e) {
          return -1;
        }
      }

      @Override
      public void close() {
        ctx.close();
        if (dict != null) {
          dict.close();
        }
      }
    };
  }

  @Override
  public Decompressor newDecompressor(byte[] dictionary) {
    ZstdDecompressCtx ctx = new ZstdDecompressCtx();
    ZstdDictDecompress dict = dictionary == null ? null : new ZstdDictDecompress(dictionary);
    if (dict != null) {
      ctx.loadDict(dict);
    }
    return new ExactLengthDecompressor("zstd") {
      @Override
      int decode(ByteBuffer src, ByteBuffer dst, int want) throws MalformedBlockException {
        try {
          if (src.isDirect() && dst.isDirect()) {
            return ctx.decompressDirectByteBuffer(
                dst, dst.position(), want, src, src.position(), src.remaining());
          }
          return ctx.decompressByteArray(
              dst.array(),
              dst.arrayOffset() + dst.position(),
              want,
              src.array(),
              src.arrayOffset() + src.position(),
              src.remaining());
        } catch (ZstdException e) {
          throw malformed(e);
        }
      }

      @Override
      public void close() {
        ctx.close();
        if (dict != null) {
          dict.close();
        }
      }
    };
  }
}
