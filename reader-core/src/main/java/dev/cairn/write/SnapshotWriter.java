package dev.cairn.write;

import dev.cairn.codec.Codec;
import dev.cairn.codec.Compressor;
import dev.cairn.format.BlockEntry;
import dev.cairn.format.BlockKind;
import dev.cairn.format.CodecType;
import dev.cairn.format.ContentHasher;
import dev.cairn.format.Crc32c;
import dev.cairn.format.Encryption;
import dev.cairn.format.Footer;
import dev.cairn.format.Header;
import dev.cairn.format.IndexPage;
import dev.cairn.format.SnapshotId;
import dev.cairn.format.Trailer;
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
  private final ArrayDeque<ByteBuffer> inputBuffers = new ArrayDeque<>();
  private final ConcurrentLinkedQueue<ByteBuffer> outputBuffers = new ConcurrentLinkedQueue<>();
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
    this.maxInflight = 4 * options.threads() + 4;
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
              Worker w = new Worker(codec.newCompressor(options.level(), dictionary));
              workers.add(w);
              return w;
            });
    this.zeroBlockHash = new ContentHasher().hash(ZEROS.duplicate().limit(blockSize));
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
            options.entriesPerPage(),
            dictionary == null ? 0 : dictionary.length,
            dictionary == null ? 0 : Crc32c.ofRemaining(ByteBuffer.wrap(dictionary)),
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
   * done after each block.
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
    int streamIndex = layouts.size();
    if (finished || streamIndex >= header.streamNames().size()) {
      throw new IllegalStateException("no stream left to write");
    }
    long size = feed.size();
    long blocks = (size + blockSize - 1) / blockSize;
    int perPage = options.entriesPerPage();
    long[] pageOffsets = new long[(int) ((blocks + perPage - 1) / perPage)];
    BlockEntry[] page = new BlockEntry[perPage];
    ArrayDeque<Future<Encoded>> inflight = new ArrayDeque<>();
    long storedBytes = 0;
    long done = 0;
    long next = 0;
    try {
      while (next < blocks || !inflight.isEmpty()) {
        if (next < blocks && inflight.size() < maxInflight) {
          long b = next++;
          int length = (int) Math.min(blockSize, size - (b * blockSize));
          ByteBuffer in = takeInput();
          in.clear().limit(length);
          BlockEntry inherited = feed.read(b, in);
          if (inherited != null) {
            giveInput(in);
            Encoded e = new Encoded(b, length, parentRef(inherited), null, null);
            inflight.add(java.util.concurrent.CompletableFuture.completedFuture(e));
          } else {
            in.flip();
            byte[] parentHash =
                parent != null && b < parent.blockCount() && parent.blockLength(b) == length
                    ? parent.entry(b).contentHash()
                    : null;
            inflight.add(pool.submit(() -> encode(b, in, parentHash)));
          }
          continue;
        }
        Encoded e = await(inflight.poll());
        BlockEntry entry = e.entry;
        if (e.stored != null) {
          entry =
              new BlockEntry(
                  entry.kind(),
                  entry.storedLength(),
                  position,
                  entry.storedCrc(),
                  entry.contentHash());
          storedBytes += entry.storedLength();
          write(e.stored);
        }
        if (e.input != null) {
          giveInput(e.input);
        }
        if (e.output != null) {
          outputBuffers.offer(e.output);
        }
        int slot = (int) (e.block % perPage);
        page[slot] = entry;
        boolean lastInStream = e.block == blocks - 1;
        if (slot == perPage - 1 || lastInStream) {
          long first = e.block - slot;
          pageOffsets[(int) (e.block / perPage)] = position;
          write(IndexPage.encode(streamIndex, first, page, slot + 1));
        }
        done += e.length;
        progress.accept(done);
      }
    } finally {
      for (Future<Encoded> f : inflight) {
        f.cancel(true);
      }
    }
    layouts.add(new Footer.StreamLayout(size, blocks, storedBytes, pageOffsets));
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
    int footerCrc = Crc32c.ofRemaining(fb);
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

  private Encoded encode(long block, ByteBuffer in, byte[] parentHash) {
    int length = in.remaining();
    if (in.mismatch(ZEROS.duplicate().limit(length)) == -1) {
      byte[] hash = length == blockSize ? zeroBlockHash : worker.get().hasher.hash(in);
      return new Encoded(block, length, new BlockEntry(BlockKind.ZERO, 0, 0, 0, hash), null, in);
    }
    Worker w = worker.get();
    byte[] hash = w.hasher.hash(in);
    if (parentHash != null && Arrays.equals(hash, parentHash)) {
      return new Encoded(block, length, new BlockEntry(BlockKind.PARENT, 0, 0, 0, hash), null, in);
    }
    ByteBuffer outBuf = outputBuffers.poll();
    if (outBuf == null) {
      outBuf = ByteBuffer.allocateDirect(codec.maxCompressedLength(blockSize));
    }
    outBuf.clear();
    int n = options.codec() == CodecType.NONE ? -1 : w.compressor.compress(in, outBuf);
    ByteBuffer stored;
    BlockKind kind;
    if (n < 0 || n >= length) {
      kind = BlockKind.RAW;
      stored = in.duplicate();
    } else {
      kind = BlockKind.COMPRESSED;
      stored = outBuf.flip();
    }
    int crc = Crc32c.ofRemaining(stored);
    return new Encoded(
        block, length, new BlockEntry(kind, stored.remaining(), 0, crc, hash), stored, in, outBuf);
  }

  private static Encoded await(Future<Encoded> f) throws IOException {
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

  private ByteBuffer takeInput() {
    ByteBuffer b = inputBuffers.poll();
    return b != null ? b : ByteBuffer.allocateDirect(blockSize);
  }

  private void giveInput(ByteBuffer b) {
    inputBuffers.push(b);
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
    final ContentHasher hasher = new ContentHasher();

    Worker(Compressor compressor) {
      this.compressor = compressor;
    }
  }

  /** A block ready to be written: its entry (offset not yet known) and its stored bytes. */
  private static final class Encoded {
    final long block;
    final int length;
    final BlockEntry entry;
    final ByteBuffer stored;
    final ByteBuffer input;
    final ByteBuffer output;

    Encoded(long block, int length, BlockEntry entry, ByteBuffer stored, ByteBuffer input) {
      this(block, length, entry, stored, input, null);
    }

    Encoded(
        long block,
        int length,
        BlockEntry entry,
        ByteBuffer stored,
        ByteBuffer input,
        ByteBuffer output) {
      this.block = block;
      this.length = length;
      this.entry = entry;
      this.stored = stored;
      this.input = input;
      this.output = output;
    }
  }
}
