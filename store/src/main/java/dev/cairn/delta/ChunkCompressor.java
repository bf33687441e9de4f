package dev.cairn.delta;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * The compression a {@link DeltaAllocator} applies to each group of chunks it seals. The store
 * knows no codec; the owner of the store injects one (the overlay passes LZ4 from reader-core).
 *
 * <p>All buffers passed in are heap buffers. <b>Thread safety:</b> implementations must be
 * thread-safe: {@link #compress} is called by one thread at a time, {@link #decompress} by many at
 * once.
 */
public interface ChunkCompressor {

  /** Stores bytes as they are: for tests and for data known not to compress. */
  ChunkCompressor NONE =
      new ChunkCompressor() {
        @Override
        public int id() {
          return 0;
        }

        @Override
        public int maxCompressedLength(int length) {
          return length;
        }

        @Override
        public int compress(ByteBuffer src, ByteBuffer dst) {
          return -1;
        }

        @Override
        public void decompress(ByteBuffer src, ByteBuffer dst) throws IOException {
          throw new IOException("no compression: nothing to decompress");
        }
      };

  /**
   * A number naming the algorithm, recorded in the spill file's header (0..65535), so that a file
   * is never decoded with the wrong one.
   */
  int id();

  /** An upper bound on the compressed length of {@code length} bytes. */
  int maxCompressedLength(int length);

  /**
   * Compresses {@code src}'s remaining bytes into {@code dst} from its position. On success
   * advances {@code dst}'s position and returns the compressed length; returns -1 (and leaves
   * {@code dst}'s contents undefined but its position unchanged) if the result does not fit in
   * {@code dst.remaining()}. {@code src} is not modified.
   */
  int compress(ByteBuffer src, ByteBuffer dst);

  /**
   * Decompresses all of {@code src}'s remaining bytes into exactly {@code dst.remaining()} bytes,
   * advancing {@code dst}'s position to its limit.
   *
   * @throws IOException if the input is malformed or does not produce exactly that many bytes
   */
  void decompress(ByteBuffer src, ByteBuffer dst) throws IOException;
}
