package dev.cairn.write;

import dev.cairn.format.BlockEntry;
import dev.cairn.format.BlockKind;
import dev.cairn.format.CodecType;
import dev.cairn.format.Encryption;
import dev.cairn.format.Footer;
import dev.cairn.format.Header;
import dev.cairn.format.IndexPage;
import dev.cairn.format.SnapshotId;
import dev.cairn.format.SnapshotSeal;
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
import java.util.List;
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

  private final WritableByteChannel out;
  private final WriterOptions options;
  private final Header header;
  private final ByteBuffer headerBytes;
  private final SnapshotSeal seal;
  private final int blockSize;
  private final int maxInflight;
  private final ExecutorService pool;
  private final BlockEncoder encoder;
  private final int batchBlocks;
  private final ArrayDeque<Batch> idle = new ArrayDeque<>();
  private final List<Footer.StreamLayout> layouts = new ArrayList<>();
  private long position;
  private boolean finished;

  private SnapshotWriter(
      WritableByteChannel out,
      WriterOptions options,
      Header header,
      byte[] dictionary,
      SnapshotSeal seal) {
    this.out = out;
    this.options = options;
    this.header = header;
    this.headerBytes = header.encode().asReadOnlyBuffer();
    this.seal = seal;
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
    this.encoder = new BlockEncoder(options, dictionary, seal);
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
    SnapshotId id = SnapshotId.random();
    SnapshotSeal seal = options.encrypted() ? SnapshotSeal.forWriting(options.sealing(), id) : null;
    // What the file stores after the header: a sealed dictionary when encrypted (it is trained on
    // the data, so its plaintext would reveal the data).
    byte[] storedDictionary =
        dictionary == null || seal == null ? dictionary : seal.sealDictionary(dictionary);
    Header header =
        new Header(
            Header.MINOR_VERSION,
            id,
            System.currentTimeMillis(),
            options.blockSizeLog2(),
            options.codec(),
            options.level(),
            options.contentHash(),
            options.entriesPerPage(),
            storedDictionary == null ? 0 : storedDictionary.length,
            storedDictionary == null ? 0 : Crc.ofRemaining(ByteBuffer.wrap(storedDictionary)),
            streamNames,
            options.parentId(),
            options.parentPathHint(),
            seal == null ? Encryption.NONE : SnapshotSeal.encryption(options.sealing(), id));
    SnapshotWriter w = new SnapshotWriter(out, options, header, dictionary, seal);
    w.write(w.headerBytes.duplicate());
    if (storedDictionary != null) {
      w.write(ByteBuffer.wrap(storedDictionary));
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
          batch.stream = streamIndex;
          inflight.add(pool.submit(() -> encoder.encode(batch)));
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
            write(IndexPage.encode(streamIndex, b - slot, page, slot + 1, seal));
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
      batch = new Batch(batchBlocks, blockSize, BlockEncoder.maxStored(options));
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
    if (seal != null) {
      byte[] tag = seal.footerTag(headerBytes.duplicate(), fb.duplicate());
      fb = ByteBuffer.allocate(fb.remaining() + tag.length).put(fb).put(tag).flip();
    }
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
    encoder.close();
  }
}
