package dev.cairn.overlay;

import dev.cairn.codec.Codec;
import dev.cairn.codec.Compressor;
import dev.cairn.codec.Decompressor;
import dev.cairn.delta.ChunkCompressor;
import dev.cairn.format.CodecType;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * LZ4 (fast mode) for the overlay's spill file, through reader-core's codec. LZ4 rather than Zstd
 * because the overlay compresses on the write path of a live filesystem, where latency matters more
 * than the last percent of ratio; {@code commit} recompresses with the user's codec anyway.
 *
 * <p><b>Thread safety:</b> thread-safe. The codec's compressors and decompressors are not, so they
 * are pooled: each call borrows one and gives it back, and the pool never holds more than the
 * number of threads that were ever in it at once.
 */
final class Lz4ChunkCompressor implements ChunkCompressor {
  /** Recorded in the spill file header; never change it for LZ4. */
  static final int ID = 1;

  static final Lz4ChunkCompressor INSTANCE = new Lz4ChunkCompressor();

  private final Codec codec = Codec.of(CodecType.LZ4);
  private final ConcurrentLinkedQueue<Compressor> compressors = new ConcurrentLinkedQueue<>();
  private final ConcurrentLinkedQueue<Decompressor> decompressors = new ConcurrentLinkedQueue<>();

  private Lz4ChunkCompressor() {}

  @Override
  public int id() {
    return ID;
  }

  @Override
  public int maxCompressedLength(int length) {
    return codec.maxCompressedLength(length);
  }

  @Override
  public int compress(ByteBuffer src, ByteBuffer dst) {
    Compressor c = compressors.poll();
    if (c == null) {
      c = codec.newCompressor(CodecType.LZ4.defaultLevel(), null);
    }
    try {
      return c.compress(src, dst);
    } finally {
      compressors.offer(c);
    }
  }

  @Override
  public void decompress(ByteBuffer src, ByteBuffer dst) throws IOException {
    Decompressor d = decompressors.poll();
    if (d == null) {
      d = codec.newDecompressor(null);
    }
    try {
      d.decompress(src, dst);
    } finally {
      decompressors.offer(d);
    }
  }
}
