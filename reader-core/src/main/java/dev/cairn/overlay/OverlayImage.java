package dev.cairn.overlay;

import dev.cairn.delta.DeltaStore;
import dev.cairn.delta.StoreGate;
import dev.cairn.error.MissingParentException;
import dev.cairn.read.Snapshot;
import dev.cairn.read.StreamReader;
import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * A writable view of the primary stream of a base snapshot: reads and writes at any offset and
 * length, with the changes kept in an overlay directory and the base never touched. Changed bytes
 * are stored in fixed-size chunks (4 KiB by default: the page size a filesystem on a loop device
 * writes, so a page write never has to read-modify-write a larger unit; see the chunk-size
 * benchmark in the tests) in a {@link DeltaStore} (LZ4-compressed spill file plus crash-safe
 * manifest). A read assembles overlay chunks where they exist, base bytes elsewhere, and zeros past
 * the base's end when the image has grown. This class adds only that layering on the base (and
 * growing the image over it) to the store; the directory, its lock and its base are an {@link
 * OverlayDirectory}.
 *
 * <p>On an encrypted base (the top of its chain opened with a key), the overlay is encrypted at
 * rest: every record of its spill file and manifest is sealed with AES-256-GCM under a key of its
 * own derived from the base's secret ({@link OverlayKey}), so reopening it needs the key that opens
 * the base, and nothing written through it lies in the clear in its directory.
 *
 * <h2>Durability</h2>
 *
 * {@link #fsync()} makes everything written before it durable: spill data first, then the manifest,
 * each forced. After a crash ({@code kill -9}, power loss) the next {@link #open} sees every byte
 * that was fsynced, and for bytes written since, per chunk either the old or the new contents; it
 * repairs torn tails by itself. Writes past the end extend the size before the data is stored, and
 * the store keeps everything past the size zero, so growing never reveals stale bytes.
 *
 * <h2>Concurrency</h2>
 *
 * Thread-safe: FUSE calls read, write and fsync from many threads at once. The store's {@link
 * StoreGate} is the one lock and the one open/closed/writable state of both: reads, writes and
 * fsyncs hold it shared and run together; {@link #truncate}, {@link #view()}, compaction and {@link
 * #close()} hold it exclusively. The {@link ChunkWriter} makes each chunk's read-modify-write
 * atomic.
 */
public final class OverlayImage implements Closeable {
  /** The chunk size new overlays get: one filesystem page (see the benchmark in the tests). */
  public static final int DEFAULT_CHUNK_SIZE = 4096;

  private final OverlayDirectory directory;
  private final DeltaStore store;
  private final StoreGate gate;
  private final StreamReader baseStream;
  private final long baseSize;
  private final int chunkSize;
  private final int chunkShift;
  private final ChunkLayer layer;
  private final ChunkWriter writer;

  private final LongAdder reads = new LongAdder();
  private final LongAdder bytesRead = new LongAdder();
  private final LongAdder writes = new LongAdder();
  private final LongAdder bytesWritten = new LongAdder();
  private final LongAdder fsyncs = new LongAdder();
  private final AtomicLong dirty = new AtomicLong();

  private OverlayImage(OverlayDirectory directory) {
    this.directory = directory;
    this.store = directory.store();
    this.gate = store.gate();
    this.baseStream = directory.base().stream(0);
    this.baseSize = baseStream.size();
    this.chunkSize = store.chunkSize();
    this.chunkShift = Integer.numberOfTrailingZeros(chunkSize);
    this.writer = new ChunkWriter(store, baseStream, baseSize);
    this.layer =
        new ChunkLayer() {
          @Override
          public boolean contains(long chunk) {
            return store.contains(chunk);
          }

          @Override
          public boolean read(long chunk, int from, ByteBuffer dst) throws IOException {
            return store.read(chunk, from, dst);
          }
        };
  }

  /** True if {@code dir} holds an overlay made by Cairn. */
  public static boolean isOverlay(Path dir) {
    return OverlayConfig.exists(dir);
  }

  /**
   * Creates an overlay on the primary stream of {@code base} (opened from {@code baseSnapshotPath})
   * in {@code dir}, which is created if needed and must otherwise be empty. The caller keeps
   * ownership of {@code base} and must keep it open until the overlay is closed.
   *
   * @throws FileAlreadyExistsException if {@code dir} already holds an overlay
   * @throws DirectoryNotEmptyException if {@code dir} holds anything else
   */
  public static OverlayImage create(Path dir, Path baseSnapshotPath, Snapshot base)
      throws IOException {
    return create(dir, baseSnapshotPath, base, DEFAULT_CHUNK_SIZE);
  }

  /** {@link #create(Path, Path, Snapshot)} with a chosen chunk size (a power of two, 512..1M). */
  public static OverlayImage create(Path dir, Path baseSnapshotPath, Snapshot base, int chunkSize)
      throws IOException {
    return new OverlayImage(OverlayDirectory.create(dir, baseSnapshotPath, base, chunkSize));
  }

  /**
   * Opens the overlay in {@code dir} for reading and writing, finding its base through {@code
   * opener}: first at the path recorded relative to {@code dir}, then at the absolute path recorded
   * when it was created. The base must be the snapshot the overlay was made on (its id is checked).
   * Repairs whatever a crash left behind. The overlay releases the base through {@code opener} when
   * it is closed.
   *
   * @throws dev.cairn.delta.OverlayInUseException if another process (or open) holds it
   * @throws MissingParentException if the base cannot be found, naming its id and the paths tried
   */
  public static OverlayImage open(Path dir, SnapshotOpener opener) throws IOException {
    return new OverlayImage(OverlayDirectory.open(dir, opener, null, false));
  }

  /**
   * Opens the overlay in {@code dir} on an already open {@code base}, which must be the snapshot it
   * was made on. The caller keeps ownership of {@code base}.
   */
  public static OverlayImage open(Path dir, Path baseSnapshotPath, Snapshot base)
      throws IOException {
    return new OverlayImage(
        OverlayDirectory.open(
            dir, path -> base, baseSnapshotPath.toAbsolutePath().normalize(), false));
  }

  /**
   * Opens the overlay without changing anything in it (for {@code commit}): no repair of torn
   * tails, and writing throws {@link IllegalStateException}. It still takes the directory lock, so
   * it is refused while the overlay is mounted.
   */
  public static OverlayImage openReadOnly(Path dir, SnapshotOpener opener) throws IOException {
    return new OverlayImage(OverlayDirectory.open(dir, opener, null, true));
  }

  /** The current logical size in bytes. */
  public long size() {
    return store.logicalSize();
  }

  /**
   * Reads up to {@code dst.remaining()} bytes at {@code offset}, stopping at the end; returns the
   * count (0 at or past the end) and advances {@code dst} by it.
   */
  public int read(long offset, ByteBuffer dst) throws IOException {
    gate.enterRead();
    try {
      int n = LayeredRead.read(layer, baseStream, baseSize, size(), chunkShift, offset, dst);
      reads.increment();
      bytesRead.add(n);
      return n;
    } finally {
      gate.exitShared();
    }
  }

  /**
   * Writes all of {@code src}'s remaining bytes at {@code offset}, growing the image if they reach
   * past its end (the gap, if any, reads as zeros), and advances {@code src}'s position to its
   * limit. Durable after the next {@link #fsync()}.
   */
  public void write(long offset, ByteBuffer src) throws IOException {
    int len = src.remaining();
    if (offset < 0 || offset + len < 0) {
      throw new IllegalArgumentException("bad offset " + offset + " for " + len + " bytes");
    }
    if (len == 0) {
      return;
    }
    gate.enterWrite();
    try {
      // The size grows before any chunk is written: chunks past the size read as absent, so a
      // concurrent partial write into the same new chunk would otherwise start from zeros and
      // wipe out this one's bytes.
      store.extendLogicalSize(offset + len);
      writer.write(offset, src);
      writes.increment();
      bytesWritten.add(len);
      dirty.addAndGet(len);
    } finally {
      gate.exitShared();
    }
  }

  /**
   * Sets the size. Growing is allowed (the new bytes read as zeros); shrinking is allowed down to
   * the base's size, not below, since the base cannot be shortened.
   *
   * @throws IOException if {@code newSize} is below the base's size
   */
  public void truncate(long newSize) throws IOException {
    gate.enterExclusive();
    try {
      gate.checkWritable();
      if (newSize < baseSize) {
        throw new IOException(
            "overlay "
                + directory.path()
                + ": cannot shrink below the base snapshot's size of "
                + baseSize
                + " bytes (asked for "
                + newSize
                + ")");
      }
      store.setLogicalSize(newSize);
    } finally {
      gate.exitExclusive();
    }
  }

  /** Makes everything written before the call durable: data first, then the manifest. */
  public void fsync() throws IOException {
    long pending = dirty.get();
    store.fsync();
    dirty.addAndGet(-pending);
    fsyncs.increment();
  }

  /**
   * Compacts the spill file when that is worth it (more than half of a spill file over 64 MiB is
   * overwritten chunks), so a long-lived mount that keeps rewriting the same data does not fill the
   * disk. Cheap when there is nothing to do; meant to be called after every fsync.
   */
  public boolean compactIfWorthwhile() throws IOException {
    return store.compactIfWorthwhile();
  }

  /**
   * Reclaims the space of overwritten chunks now (it is also done on close when more than half the
   * spill file is garbage). Blocks reads and writes meanwhile.
   *
   * @return false if skipped because a view is open
   */
  public boolean compact() throws IOException {
    return store.compact();
  }

  /**
   * A consistent, frozen picture of the image as of now, for {@code commit} to read while the
   * overlay stays usable; see {@link OverlayView}. Waits for writes in flight to finish.
   */
  public OverlayView view() throws IOException {
    gate.enterExclusive();
    try {
      gate.checkOpen();
      return new OverlayView(store.view(), baseStream, baseSize, directory.config().baseId());
    } finally {
      gate.exitExclusive();
    }
  }

  /**
   * True if block {@code block} of {@code blockSize} bytes differs from the base's block at the
   * same index: some chunk in it was written, or its extent changed because the image grew. Live
   * state; use a {@link #view()} to read a consistent set of blocks while writes go on.
   */
  public boolean isBlockChanged(long block, int blockSize) throws IOException {
    gate.enterRead();
    try {
      return LayeredRead.isBlockChanged(layer, baseSize, size(), chunkShift, block, blockSize);
    } finally {
      gate.exitShared();
    }
  }

  /**
   * Reads block {@code block} of {@code blockSize} bytes (up to the image's end) into {@code dst},
   * which needs that many bytes remaining; returns the block's length.
   */
  public int readBlock(long block, int blockSize, ByteBuffer dst) throws IOException {
    return LayeredRead.readBlock(this::read, size(), block, blockSize, dst);
  }

  /** A positional read, for {@link #readBlock}. */
  @FunctionalInterface
  interface Reader {
    int read(long offset, ByteBuffer dst) throws IOException;
  }

  /** The overlay directory (absolute). */
  public Path directory() {
    return directory.path();
  }

  /** What the directory records about the base. */
  public OverlayConfig config() {
    return directory.config();
  }

  /** The base snapshot. */
  public Snapshot base() {
    return directory.base();
  }

  /** Where the base was found (absolute). */
  public Path basePath() {
    return directory.basePath();
  }

  /** The base's primary stream size. */
  public long baseSize() {
    return baseSize;
  }

  public int chunkSize() {
    return chunkSize;
  }

  public boolean isReadOnly() {
    return gate.isReadOnly();
  }

  /** True if opening repaired a torn tail left by a crash. */
  public boolean repairedOnOpen() {
    return store.repairedOnOpen();
  }

  /** What opening found in the store's files, for a log line. */
  public String recoverySummary() {
    return store.recoverySummary();
  }

  /**
   * Live counters, in a stable order: {@code size}, {@code baseSize}, {@code chunkSize}, {@code
   * dirtyBytes} (written since the last fsync), {@code overlayBytes} (on disk), {@code fsyncCount},
   * {@code writes}, {@code bytesWritten}, {@code reads}, {@code bytesRead}, and the store's own.
   */
  public Map<String, Object> stats() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("size", size());
    m.put("baseSize", baseSize);
    m.put("chunkSize", chunkSize);
    m.put("dirtyBytes", Math.max(0, dirty.get()));
    m.put("overlayBytes", store.diskBytes());
    m.put("fsyncCount", fsyncs.sum());
    m.put("writes", writes.sum());
    m.put("bytesWritten", bytesWritten.sum());
    m.put("reads", reads.sum());
    m.put("bytesRead", bytesRead.sum());
    for (Map.Entry<String, Object> e : store.stats().entrySet()) {
      m.putIfAbsent(e.getKey(), e.getValue());
    }
    m.put("baseId", directory.config().baseId().toString());
    m.put("basePath", directory.basePath().toString());
    return m;
  }

  /**
   * Makes everything durable, compacts the spill file if more than half of it is garbage, and
   * releases the directory lock and (if the overlay opened it) the base. Idempotent.
   */
  @Override
  public void close() throws IOException {
    gate.enterExclusive();
    try {
      if (gate.isClosed()) {
        return;
      }
      try {
        try {
          if (!gate.isReadOnly()) {
            store.compactIfWorthwhile();
          }
        } finally {
          store.close();
        }
      } finally {
        directory.close();
      }
    } finally {
      gate.exitExclusive();
    }
  }
}
