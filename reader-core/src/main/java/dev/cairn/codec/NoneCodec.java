package dev.cairn.codec;

import dev.cairn.format.CodecType;
import java.nio.ByteBuffer;

/** Stores blocks as they are. Thread-safe singleton. */
public final class NoneCodec implements Codec {
  static final NoneCodec INSTANCE = new NoneCodec();

  private NoneCodec() {}

  @Override
  public CodecType type() {
    return CodecType.NONE;
  }

  @Override
  public int maxCompressedLength(int length) {
    return length;
  }

  @Override
  public Compressor newCompressor(int level, byte[] dictionary) {
    Codec.checkLevel(CodecType.NONE, level);
    return new Compressor() {
      @Override
      public int compress(ByteBuffer src, ByteBuffer dst) {
        int n = src.remaining();
        if (n > dst.remaining()) {
          return -1;
        }
        dst.put(src.duplicate());
        return n;
      }

      @Override
      public void close() {}
    };
  }

  @Override
  public Decompressor newDecompressor(byte[] dictionary) {
    return new Decompressor() {
      @Override
      public void decompress(ByteBuffer src, ByteBuffer dst) throws MalformedBlockException {
        if (src.remaining() != dst.remaining()) {
          throw new MalformedBlockException(
              "stored " + src.remaining() + " bytes, expected " + dst.remaining(), null);
        }
        dst.put(src.duplicate());
      }

      @Override
      public void close() {}
    };
  }
}
