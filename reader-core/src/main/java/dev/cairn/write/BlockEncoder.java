package dev.cairn.write;

import dev.cairn.codec.Codec;
import dev.cairn.codec.Compressor;
import dev.cairn.format.BlockEntry;
import dev.cairn.format.BlockKind;
import dev.cairn.format.CodecType;
import dev.cairn.format.ContentHasher;
import dev.cairn.format.SnapshotSeal;
import dev.cairn.io.Crc;
import dev.cairn.read.StreamReader;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * Turns a {@link Batch} of logical blocks into stored bytes and index entries, on a compression
 * thread: each block is recognised as all zeros, as unchanged from the parent (content hash, then
 * the bytes themselves when the hash is not collision-resistant), or compressed (stored raw when
 * compression does not make it smaller), and sealed when the snapshot is encrypted.
 *
 * <p>Thread-safe: any number of compression threads call {@link #encode} at once, each with its own
 * compressor, hasher and buffers ({@link Worker}); {@link #close} frees them once no thread is
 * inside.
 */
final class BlockEncoder {
  private static final ByteBuffer ZEROS = ByteBuffer.allocateDirect(1 << 20).asReadOnlyBuffer();

  private final WriterOptions options;
  private final int blockSize;
  private final SnapshotSeal seal;
  private final byte[] zeroBlockHash;
  private final ConcurrentLinkedQueue<Worker> workers = new ConcurrentLinkedQueue<>();
  private final ThreadLocal<Worker> worker;

  /**
   * @param dictionary the zstd dictionary (plain), or null
   * @param seal the new snapshot's seal if it is encrypted, else null
   */
  BlockEncoder(WriterOptions options, byte[] dictionary, SnapshotSeal seal) {
    this.options = options;
    this.blockSize = options.blockSize();
    this.seal = seal;
    Codec codec = Codec.of(options.codec());
    int maxCompressed = Math.max(codec.maxCompressedLength(blockSize), blockSize);
    this.worker =
        ThreadLocal.withInitial(
            () -> {
              Worker w =
                  new Worker(
                      codec.newCompressor(options.level(), dictionary),
                      options.contentHash().newHasher(),
                      seal == null ? null : ByteBuffer.allocateDirect(maxCompressed));
              workers.add(w);
              return w;
            });
    this.zeroBlockHash = options.contentHash().newHasher().hash(ZEROS.duplicate().limit(blockSize));
  }

  /** The largest stored length of one block: the codec's bound, plus the tag when sealed. */
  static int maxStored(WriterOptions options) {
    int bs = options.blockSize();
    return Math.max(Codec.of(options.codec()).maxCompressedLength(bs), bs)
        + (options.encrypted() ? SnapshotSeal.TAG : 0);
  }

  /**
   * Fills in each block's entry (offset relative to the batch's output) and packs the stored bytes
   * of the batch's blocks back to back into its output buffer.
   */
  Batch encode(Batch batch) throws IOException {
    Worker w = worker.get();
    ByteBuffer out = batch.out.clear();
    for (int i = 0; i < batch.count; i++) {
      int at = out.position();
      batch.outOffsets[i] = at;
      if (batch.entries[i] != null) {
        continue;
      }
      int length = batch.lengths[i];
      ByteBuffer in = batch.input(i, length);
      if (in.mismatch(ZEROS.duplicate().limit(length)) == -1) {
        byte[] hash = length == blockSize ? zeroBlockHash : w.hasher.hash(in);
        batch.entries[i] = new BlockEntry(BlockKind.ZERO, 0, 0, 0, hash);
        continue;
      }
      byte[] hash = w.hasher.hash(in);
      byte[] parentHash = batch.parentHashes[i];
      if (parentHash != null
          && Arrays.equals(hash, parentHash)
          && (options.contentHash().collisionResistant()
              || w.sameAsParent(batch.parent, batch.first + i, in))) {
        batch.entries[i] = new BlockEntry(BlockKind.PARENT, 0, 0, 0, hash);
        continue;
      }
      // A sealed block is compressed into the worker's buffer first, then sealed into the output.
      ByteBuffer target = seal == null ? out : w.plain.clear();
      int start = target.position();
      // Only a result shorter than the block is worth keeping, so the codec may give up as soon
      // as its output reaches the block's length (LZ4 does, which makes incompressible data cheap).
      target.limit(start + length - 1);
      int n = options.codec() == CodecType.NONE ? -1 : w.compressor.compress(in, target);
      target.limit(target.capacity());
      BlockKind kind = BlockKind.COMPRESSED;
      if (n < 0) {
        kind = BlockKind.RAW;
        target.position(start);
        target.put(in);
      }
      if (seal != null) {
        seal.sealBlock(batch.stream, batch.first + i, w.plain.flip(), out);
      }
      int stored = out.position() - at;
      int crc = Crc.ofRemaining(out.duplicate().limit(at + stored).position(at));
      batch.entries[i] = new BlockEntry(kind, stored, 0, crc, hash);
    }
    batch.outLength = out.position();
    return batch;
  }

  /** Frees the compressors; call once no thread is inside {@link #encode}. */
  void close() {
    Worker w;
    while ((w = workers.poll()) != null) {
      w.compressor.close();
    }
  }

  /** Per-thread compression state. */
  private static final class Worker {
    final Compressor compressor;
    final ContentHasher hasher;
    final ByteBuffer plain;
    private ByteBuffer parentBlock;

    Worker(Compressor compressor, ContentHasher hasher, ByteBuffer plain) {
      this.compressor = compressor;
      this.hasher = hasher;
      this.plain = plain;
    }

    /**
     * Whether the parent's block {@code block} holds exactly {@code in}'s bytes: what a hash match
     * must be confirmed with when the hash is not collision-resistant, so that no crafted block can
     * pass for the parent's.
     */
    boolean sameAsParent(StreamReader parent, long block, ByteBuffer in) throws IOException {
      if (parentBlock == null || parentBlock.capacity() < in.remaining()) {
        parentBlock = ByteBuffer.allocateDirect(parent.blockSize());
      }
      ByteBuffer p = parentBlock.clear().limit(in.remaining());
      parent.readBlock(block, p);
      return p.flip().mismatch(in) == -1;
    }
  }
}
