package dev.cairn.delta;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.zip.DataFormatException;
import java.util.zip.Deflater;
import java.util.zip.Inflater;

/** A real compressor for store tests (the store's own module has no codec): zlib DEFLATE. */
final class DeflateCompressor implements ChunkCompressor {
  static final DeflateCompressor INSTANCE = new DeflateCompressor();

  @Override
  public int id() {
    return 77;
  }

  @Override
  public int maxCompressedLength(int length) {
    return length + length / 1000 + 64;
  }

  @Override
  public int compress(ByteBuffer src, ByteBuffer dst) {
    Deflater d = new Deflater(1);
    try {
      d.setInput(src.duplicate());
      d.finish();
      int start = dst.position();
      ByteBuffer out = dst.duplicate();
      while (!d.finished()) {
        if (!out.hasRemaining()) {
          return -1;
        }
        d.deflate(out);
      }
      int n = out.position() - start;
      dst.position(out.position());
      return n;
    } finally {
      d.end();
    }
  }

  @Override
  public void decompress(ByteBuffer src, ByteBuffer dst) throws IOException {
    Inflater inf = new Inflater();
    try {
      inf.setInput(src.duplicate());
      int want = dst.remaining();
      int got = 0;
      while (got < want) {
        int n = inf.inflate(dst);
        if (n == 0 && (inf.finished() || inf.needsInput() || inf.needsDictionary())) {
          break;
        }
        got += n;
      }
      if (got != want || inf.getRemaining() > 0 && !inf.finished()) {
        throw new IOException("inflated " + got + " bytes, expected " + want);
      }
      src.position(src.limit());
    } catch (DataFormatException e) {
      throw new IOException("bad deflate data: " + e.getMessage(), e);
    } finally {
      inf.end();
    }
  }
}
