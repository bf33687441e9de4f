package dev.cairn.write;

import dev.cairn.codec.Codec;
import dev.cairn.codec.Compressor;
import dev.cairn.format.BlockEntry;
import dev.cairn.format.BlockKind;
import dev.cairn.format.CodecType;
import dev.cairn.format.ContentHasher;
import dev.cairn.format.Encryption;
import dev.cairn.format.Footer;
import dev.cairn.format.Header;
import dev.cairn.format.IndexPage;
import dev.cairn.format.SnapshotId;
import dev.cairn.format.Trailer;
import dev.cairn.io.Crc;
import dev.cairn.read.StreamReader;
import java.io.Closeable;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.WritableByteChannel;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongConsumer;

/**
 * Writes a snapshot front to back without ever seeking: header, then each stream's blocks with its
 * index pages interleaved as they fill, then the footer and the trailer. Blocks are compressed in
 * parallel and written in order. This is the only writer of the format: {@code pack} and {@code
 * commit} both use it.
 *
 * <p>Not thread-safe: one thread drives it ({@link #writeStream} for each stream in header order,
 * then {@link #finish}); it runs its own compression pool internally.
 */
public final class SnapshotWriter implements Closeable {
  private static final int BATCH_BYTES = 1 << 20;
  private static final ByteBuffer ZEROS = ByteBuffer.allocateDirect(1 << 20).asReadOnlyBuffer();

  private final WritableByteChannel out;
  private final WriterOptions options;
  private final Header header;
  private final Codec codec;
  private final int blockSize;
  private final int maxInflight;
  private final ExecutorService pool;
  private final ConcurrentLinkedQueue<Worker> workers = new ConcurrentLinkedQueue<>();
  private final ThreadLocal<Worker> worker;
  private final int batchBlocks;
  private final ArrayDeque<Batch> idle = new ArrayDeque<>();
  private final byte[] zeroBlockHash;
  private final List<Footer.StreamLayout> layouts = new ArrayList<>();
  private long position;
  private boolean finished;

  private SnapshotWriter(
      WritableByteChannel out, WriterOptions options, Header header, byte[] dictionary) {
    this.out = out;
    this.options = options;
    this.header = header;
    this.codec = Codec.of(options.codec());
    this.blockSize = options.blockSize();
    // Blocks go to the compression threads in batches of about 1 MiB, so that handing work over
    // and writing the result cost one queue operation and one write per batch, not per block.
    this.batchBlocks = Math.max(1, BATCH_BYTES >> options.blockSizeLog2());
    this.maxInflight = 2 * options.threads() + 2;
    AtomicInteger n = new AtomicInteger();
    this.pool =
        Executors.newFixedThreadPool(
            options.threads(),
            r -> {
              Thread t = new Thread(r, "cairn-compress-" + n.incrementAndGet());
              t.setDaemon(true);
              return t;
            });
    this.worker =
        ThreadLocal.withInitial(
            () -> {
              Worker w =
                  new Worker(
                      codec.newCompressor(options.level(), dictionary),
                      options.contentHash().newHasher());
              workers.add(w);
              return w;
            });
    this.zeroBlockHash = options.contentHash().newHasher().hash(ZEROS.duplicate().limit(blockSize));
  }

  /**
   * Writes the header to {@code out} and returns a writer for streams named {@code streamNames}
   * (one or two; file names in a mount).
   */
  public static SnapshotWriter start(
      WritableByteChannel out, WriterOptions options, List<String> streamNames) throws IOException {
    return start(out, options, streamNames, null);
  }

  /**
   * Like {@link #start(WritableByteChannel, WriterOptions, List)}, compressing every block with a
   * zstd {@code dictionary} (null for none), which is stored right after the header.
   */
  public static SnapshotWriter start(
      WritableByteChannel out, WriterOptions options, List<String> streamNames, byte[] dictionary)
      throws IOException {
    if (dictionary != null
        && (options.codec() != CodecType.ZSTD
            || dictionary.length == 0
            || dictionary.length > Header.MAX_DICTIONARY_LENGTH)) {
      throw new IllegalArgumentException("a dictionary needs zstd and at most 4 MiB");
    }
    for (String name : streamNames) {
      if (!Header.isValidStreamName(name)) {
        throw new IllegalArgumentException("'" + name + "' cannot be a stream name");
      }
    }
    if (streamNames.size() == 2 && streamNames.get(0).equals(streamNames.get(1))) {
      throw new IllegalArgumentException("both streams are named '" + streamNames.get(0) + "'");
    }
    Header header =
        new Header(
            Header.MINOR_VERSION,
            SnapshotId.random(),
            System.currentTimeMillis(),
            options.blockSizeLog2(),
            options.codec(),
            options.level(),
            options.contentHash(),
            options.entriesPerPage(),
            dictionary == null ? 0 : dictionary.length,
            dictionary == null ? 0 : Crc.ofRemaining(ByteBuffer.wrap(dictionary)),
            streamNames,
            options.parentId(),
            options.parentPathHint(),
            Encryption.NONE);
    SnapshotWriter w = new SnapshotWriter(out, options, header, dictionary);
    w.write(header.encode());
    if (dictionary != null) {
      w.write(ByteBuffer.wrap(dictionary));
    }
    return w;
  }

  public Header header() {
    return header;
  }

  /** Bytes written so far. */
  public long position() {
    return position;
  }

  /**
   * Writes the next stream's blocks and index pages. {@code progress} receives the logical bytes
   * done after each batch of blocks (about 1 MiB) is written.
   */
  public void writeStream(BlockFeed feed, LongConsumer progress) throws IOException {
    writeStream(feed, null, progress);
  }

  /**
   * Writes the next stream of a thin snapshot: a block whose content hash equals that of {@code
   * parent}'s block at the same index is written as an inherited reference without data. With a
   * null {@code parent} this is a standalone stream.
   */
  public void writeStream(BlockFeed feed, StreamReader parent, LongConsumer progress)
      throws IOException {
    if (parent != null && parent.blockSize() != blockSize) {
      throw new IllegalArgumentException(
          "block size " + blockSize + " differs from the parent's " + parent.blockSize());
    }
    if (parent != null && parent.snapshot().header().contentHash() != header.contentHash()) {
      throw new IllegalArgumentException(
          "content hash "
              + header.contentHash()
              + " differs from the parent's "
              + parent.snapshot().header().contentHash());
    }
    int streamIndex = layouts.size();
    if (finished || streamIndex >= header.streamNames().size()) {
      throw new IllegalStateException("no stream left to write");
    }
    long size = feed.size();
    long blocks = (size + blockSize - 1) / blockSize;
    int perPage = options.entriesPerPage();
    long[] pageOffsets = new long[(int) ((blocks + perPage - 1) / perPage)];
    BlockEntry[] page = new BlockEntry[perPage];
    ArrayDeque<Future<Batch>> inflight = new ArrayDeque<>();
    long storedBytes = 0;
    long done = 0;
    long next = 0;
    try {
      while (next < blocks || !inflight.isEmpty()) {
        if (next < blocks && inflight.size() < maxInflight) {
          Batch batch = fill(feed, parent, next, (int) Math.min(batchBlocks, blocks - next), size);
          next += batch.count;
          inflight.add(pool.submit(() -> encode(batch)));
          continue;
        }
        Batch batch = await(inflight.poll());
        ByteBuffer out = batch.out;
        int flushed = 0;
        // file offset of out[0], as long as no index page is written in between
        long base = position;
        for (int i = 0; i < batch.count; i++) {
          long b = batch.first + i;
          BlockEntry entry = batch.entries[i];
          if (entry.kind().hasData()) {
            entry =
                new BlockEntry(
                    entry.kind(),
                    entry.storedLength(),
                    base + batch.outOffsets[i],
                    entry.storedCrc(),
                    entry.contentHash());
            storedBytes += entry.storedLength();
          }
          int slot = (int) (b % perPage);
          page[slot] = entry;
          if (slot == perPage - 1 || b == blocks - 1) {
            int end = batch.outOffsets[i] + (entry.kind().hasData() ? entry.storedLength() : 0);
            write(out.duplicate().limit(end).position(flushed));
            flushed = end;
            pageOffsets[(int) (b / perPage)] = position;
            write(IndexPage.encode(streamIndex, b - slot, page, slot + 1));
            base = position - flushed;
          }
          done += batch.lengths[i];
        }
        write(out.duplicate().limit(batch.outLength).position(flushed));
        idle.push(batch);
        progress.accept(done);
      }
    } finally {
      for (Future<Batch> f : inflight) {
        f.cancel(true);
      }
    }
    layouts.add(new Footer.StreamLayout(size, blocks, storedBytes, pageOffsets));
  }

  /** Reads blocks {@code first} to {@code first + count - 1} from the feed into a batch. */
  private Batch fill(BlockFeed feed, StreamReader parent, long first, int count, long size)
      throws IOException {
    Batch batch = idle.poll();
    if (batch == null) {
      batch = new Batch(batchBlocks, blockSize, codec.maxCompressedLength(blockSize));
    }
    batch.first = first;
    batch.count = count;
    batch.parent = parent;
    for (int i = 0; i < count; i++) {
      long b = first + i;
      int length = (int) Math.min(blockSize, size - (b * blockSize));
      batch.lengths[i] = length;
      BlockEntry inherited = feed.read(b, batch.input(i, length));
      batch.entries[i] = inherited == null ? null : parentRef(inherited);
      batch.parentHashes[i] =
          inherited == null
                  && parent != null
                  && b < parent.blockCount()
                  && parent.blockLength(b) == length
              ? parent.entry(b).contentHash()
              : null;
    }
    return batch;
  }

  /** Writes the footer and trailer. The caller then makes the output durable. */
  public Result finish() throws IOException {
    if (layouts.size() != header.streamNames().size()) {
      throw new IllegalStateException(
          "wrote " + layouts.size() + " of " + header.streamNames().size() + " streams");
    }
    finished = true;
    Footer footer = new Footer(layouts);
    ByteBuffer fb = footer.encode();
    long footerOffset = position;
    int footerCrc = Crc.ofRemaining(fb);
    int footerLength = fb.remaining();
    write(fb);
    write(new Trailer(footerOffset, footerLength, footerCrc, header.snapshotId()).encode());
    return new Result(header, footer, position);
  }

  /** What was written. */
  public record Result(Header header, Footer footer, long fileSize) {}

  private BlockEntry parentRef(BlockEntry parent) {
    return new BlockEntry(BlockKind.PARENT, 0, 0, 0, parent.contentHash());
  }

  /**
   * Runs on a compression thread: fills in each block's entry (offset relative to the batch's
   * output) and packs the stored bytes of the batch's blocks back to back into its output buffer.
   */
  private Batch encode(Batch batch) throws IOException {
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
      // Only a result shorter than the block is worth keeping, so the codec may give up as soon
      // as its output reaches the block's length (LZ4 does, which makes incompressible data cheap).
      out.limit(at + length - 1);
      int n = options.codec() == CodecType.NONE ? -1 : w.compressor.compress(in, out);
      out.limit(out.capacity());
      BlockKind kind = BlockKind.COMPRESSED;
      if (n < 0) {
        kind = BlockKind.RAW;
        out.position(at);
        out.put(in);
      }
      int stored = out.position() - at;
      int crc = Crc.ofRemaining(out.duplicate().limit(at + stored).position(at));
      batch.entries[i] = new BlockEntry(kind, stored, 0, crc, hash);
    }
    batch.outLength = out.position();
    return batch;
  }

  private static Batch await(Future<Batch> f) throws IOException {
    try {
      return f.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while compressing");
    } catch (ExecutionException e) {
      Throwable c = e.getCause();
      if (c instanceof RuntimeException r) {
        throw r;
      }
      if (c instanceof Error err) {
        throw err;
      }
      throw new IOException(c);
    }
  }

  private void write(ByteBuffer b) throws IOException {
    while (b.hasRemaining()) {
      position += out.write(b);
    }
  }

  @Override
  public void close() throws IOException {
    pool.shutdownNow();
    try {
      // A native compressor must not be freed while a cancelled task is still inside it.
      if (!pool.awaitTermination(1, java.util.concurrent.TimeUnit.MINUTES)) {
        return;
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return;
    }
    Worker w;
    while ((w = workers.poll()) != null) {
      w.compressor.close();
    }
  }

  /** Per-thread compression state. */
  private static final class Worker {
    final Compressor compressor;
    final ContentHasher hasher;
    private ByteBuffer parentBlock;

    Worker(Compressor compressor, ContentHasher hasher) {
      this.compressor = compressor;
      this.hasher = hasher;
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

  /**
   * Consecutive blocks of one stream travelling together from the writer's thread to a compression
   * thread and back: their logical bytes in, their stored bytes out back to back, and their
   * entries. Owned by one thread at a time (handed over through the pool's queue and futures).
   */
  private static final class Batch {
    final ByteBuffer in;
    final ByteBuffer out;
    final int blockSize;
    final int[] lengths;
    final int[] outOffsets;
    final BlockEntry[] entries;
    final byte[][] parentHashes;
    StreamReader parent;
    long first;
    int count;
    int outLength;

    Batch(int blocks, int blockSize, int maxStored) {
      this.blockSize = blockSize;
      this.in = ByteBuffer.allocateDirect(blocks * blockSize);
      this.out = ByteBuffer.allocateDirect(blocks * Math.max(maxStored, blockSize));
      this.lengths = new int[blocks];
      this.outOffsets = new int[blocks];
      this.entries = new BlockEntry[blocks];
      this.parentHashes = new byte[blocks][];
    }

    /** Block {@code i}'s logical bytes: a view of {@code length} bytes at position 0. */
    ByteBuffer input(int i, int length) {
      return in.slice(i * blockSize, length);
    }
  }
}
