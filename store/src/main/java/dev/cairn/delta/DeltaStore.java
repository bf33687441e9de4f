package dev.cairn.delta;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Map;

/**
 * A durable, sparse, resizable array of fixed-size chunks in one directory: a {@link
 * DeltaAllocator} spill file holds the chunks' bytes and a {@link Manifest} maps each chunk index
 * to its location. This is the storage under a writable overlay; it knows nothing about what the
 * chunks mean or what lies under them.
 *
 * <p>This class is the map, read and write API; the other jobs are split, each documenting the
 * crash-safety reasoning it implements: {@link StoreFiles} (the files, the attributes that tie them
 * together, creating and opening), {@link StoreSync} (fsync: data, then manifest), {@link
 * StoreCompaction} (reclaiming overwritten chunks, and when), {@link LogicalSize} (the logical size
 * and the zeros past it), {@link LiveSpill} (the spill file in use) and {@link StoreStats}.
 *
 * <p><b>Thread safety:</b> thread-safe. Reads, writes and fsyncs run concurrently; writes to one
 * chunk are atomic with respect to reads of it; compaction and close exclude everything else. The
 * lock and the open/closed/writable state are the store's {@link StoreGate}, which the owner shares
 * (see {@link #gate()}) instead of keeping its own. Every change takes an allocator location and
 * records it in the manifest under one mutex, and fsync, view and trim depend on that pairing.
 */
public final class DeltaStore implements Closeable {
  private final Path dir;
  private final StoreGate gate;
  private final Manifest manifest;
  private final LiveSpill spill;
  private final LogicalSize size;
  private final StoreSync sync;
  private final StoreCompaction compaction;
  private final int chunkSize;
  private final int chunkShift;
  private final Object mutex = new Object();

  DeltaStore(
      Path dir,
      ChunkCompressor compressor,
      boolean readOnly,
      Manifest manifest,
      DeltaAllocator allocator,
      long slotsBase) {
    this.dir = dir;
    this.gate = new StoreGate("store in " + dir, readOnly);
    this.manifest = manifest;
    this.spill = new LiveSpill(allocator, slotsBase);
    this.size = new LogicalSize(gate, manifest, spill, mutex);
    this.sync = new StoreSync(gate, manifest, spill, mutex);
    this.compaction = new StoreCompaction(dir, compressor, gate, manifest, spill, mutex, sync);
    this.chunkSize = allocator.chunkSize();
    this.chunkShift = Integer.numberOfTrailingZeros(chunkSize);
  }

  /**
   * Creates a store in {@code dir}, which must exist and hold none of the store's files.
   *
   * @param chunkSize a power of two, 512 .. 1 MiB
   * @param chunksPerRecord how many chunks are compressed together (1 .. 256)
   * @param logicalSize the initial logical size
   */
  public static DeltaStore create(
      Path dir, int chunkSize, int chunksPerRecord, long logicalSize, ChunkCompressor compressor)
      throws IOException {
    return create(dir, chunkSize, chunksPerRecord, logicalSize, compressor, RecordCipher.NONE);
  }

  /**
   * {@link #create(Path, int, int, long, ChunkCompressor)} with every record of the spill file and
   * the manifest sealed by {@code cipher} (nothing is sealed with {@link RecordCipher#NONE}).
   */
  public static DeltaStore create(
      Path dir,
      int chunkSize,
      int chunksPerRecord,
      long logicalSize,
      ChunkCompressor compressor,
      RecordCipher cipher)
      throws IOException {
    return StoreFiles.create(dir, chunkSize, chunksPerRecord, logicalSize, compressor, cipher);
  }

  /**
   * Opens the store in {@code dir} for reading and writing, repairing what a crash left behind
   * (torn tails, files of an interrupted compaction).
   */
  public static DeltaStore open(Path dir, ChunkCompressor compressor) throws IOException {
    return open(dir, compressor, RecordCipher.NONE);
  }

  /**
   * {@link #open(Path, ChunkCompressor)} of a store whose files {@code cipher} sealed.
   *
   * @throws dev.cairn.error.CorruptStoreException also if its files are sealed and {@code cipher}
   *     is plain or the reverse, or a record does not authenticate under {@code cipher}'s key
   */
  public static DeltaStore open(Path dir, ChunkCompressor compressor, RecordCipher cipher)
      throws IOException {
    return StoreFiles.open(dir, compressor, cipher, false);
  }

  /** Opens the store without changing anything on disk; writing throws. */
  public static DeltaStore openReadOnly(Path dir, ChunkCompressor compressor) throws IOException {
    return openReadOnly(dir, compressor, RecordCipher.NONE);
  }

  /** {@link #openReadOnly(Path, ChunkCompressor)} of a store whose files {@code cipher} sealed. */
  public static DeltaStore openReadOnly(Path dir, ChunkCompressor compressor, RecordCipher cipher)
      throws IOException {
    return StoreFiles.open(dir, compressor, cipher, true);
  }

  /** The logical size in bytes. */
  public long logicalSize() {
    return size.get();
  }

  /** Raises the logical size to {@code end} if it is smaller. */
  public void extendLogicalSize(long end) throws IOException {
    size.extend(end);
  }

  /**
   * Sets the logical size. Shrinking drops the chunks past the new size and zeroes the tail of the
   * one that straddles it, so that growing again reveals zeros (see {@link LogicalSize} for what a
   * crash in the middle leaves).
   */
  public void setLogicalSize(long size) throws IOException {
    this.size.set(size);
  }

  /** Called once by {@link StoreFiles} when opening for writing, before the store is published. */
  void trimPastSize() throws IOException {
    size.trimPastSize();
  }

  /** The chunk size in bytes. */
  public int chunkSize() {
    return chunkSize;
  }

  /** True if chunk {@code chunk} is stored (and lies before the logical size). */
  public boolean contains(long chunk) {
    return chunk < chunkLimit(logicalSize()) && manifest.contains(chunk);
  }

  private long chunkLimit(long size) {
    return (size + chunkSize - 1) >>> chunkShift;
  }

  /**
   * Reads {@code dst.remaining()} bytes of chunk {@code chunk} starting {@code from} bytes into it,
   * if the chunk is stored; returns false (leaving {@code dst} alone) if it is not.
   */
  public boolean read(long chunk, int from, ByteBuffer dst) throws IOException {
    gate.enterRead();
    try {
      if (chunk >= chunkLimit(logicalSize())) {
        return false;
      }
      long loc = manifest.get(chunk, -1);
      if (loc < 0) {
        return false;
      }
      // No lock needed between the lookup and the read: a location in the open group stays this
      // chunk's (its slot is only ever overwritten by the same chunk), and a sealed record never
      // changes until compaction, which the read lock keeps out.
      spill.allocator().read(loc, chunk, from, dst);
      return true;
    } finally {
      gate.exitShared();
    }
  }

  /**
   * Stores chunk {@code chunk}: {@code src} must have exactly {@link #chunkSize()} bytes remaining
   * (its position is not changed). Durable after the next {@link #fsync()}.
   */
  public void write(long chunk, ByteBuffer src) throws IOException {
    if (chunk < 0) {
      throw new IllegalArgumentException("negative chunk " + chunk);
    }
    gate.enterWrite();
    try {
      synchronized (mutex) {
        manifest.put(chunk, spill.allocator().write(chunk, src));
      }
    } finally {
      gate.exitShared();
    }
  }

  /**
   * Stores {@code src}'s remaining bytes, a whole number {@code n} of chunks, as chunks {@code
   * firstChunk} .. {@code firstChunk + n - 1} (its position is not changed): {@link #write} for a
   * run, with whole groups sealed without copying (see {@link DeltaAllocator#writeRun}). Durable
   * after the next {@link #fsync()}.
   */
  public void writeRun(long firstChunk, ByteBuffer src) throws IOException {
    if (firstChunk < 0) {
      throw new IllegalArgumentException("negative chunk " + firstChunk);
    }
    long[] locations = new long[src.remaining() / chunkSize()];
    gate.enterWrite();
    try {
      synchronized (mutex) {
        spill.allocator().writeRun(firstChunk, src, locations);
        for (int i = 0; i < locations.length; i++) {
          manifest.put(firstChunk + i, locations[i]);
        }
      }
    } finally {
      gate.exitShared();
    }
  }

  /** Drops chunk {@code chunk}, so it reads as absent. Durable after the next {@link #fsync()}. */
  public void remove(long chunk) throws IOException {
    gate.enterWrite();
    try {
      synchronized (mutex) {
        manifest.remove(chunk);
      }
    } finally {
      gate.exitShared();
    }
  }

  /** Makes every change made before the call durable: spill data first, then the manifest. */
  public void fsync() throws IOException {
    gate.enterWrite();
    try {
      sync.fsync();
    } finally {
      gate.exitShared();
    }
  }

  /**
   * Reclaims the space of overwritten chunks by copying the live ones into a new spill file (see
   * {@link StoreCompaction} for the protocol). Blocks all other use of the store meanwhile.
   *
   * @return false if it was skipped because a {@link StoreView} is open
   */
  public boolean compact() throws IOException {
    return compaction.compact();
  }

  /** Compacts if more than half the spill file is garbage and it is big enough to matter. */
  public boolean compactIfWorthwhile() throws IOException {
    return compaction.compactIfWorthwhile();
  }

  /** The fraction of chunk slots in the spill file that no longer hold live data (0..1). */
  public double garbageRatio() {
    return spill.garbageRatio(manifest.size());
  }

  /**
   * A consistent, read-only picture of the store as of now: a private copy of the map, the logical
   * size, and the spill file to read from (the open group is sealed first, so every location in the
   * copy is in an immutable record). Later writes do not show through. While a view is open,
   * compaction is skipped. The caller must keep writes from being half-done at the moment of the
   * call if it needs a consistency larger than one chunk.
   */
  public StoreView view() throws IOException {
    gate.enterRead();
    try {
      synchronized (mutex) {
        if (!gate.isReadOnly()) {
          spill.allocator().seal();
        }
        compaction.pin();
        long size = logicalSize();
        return new StoreView(
            manifest.copy(),
            size,
            chunkLimit(size),
            chunkSize,
            spill.allocator(),
            mutex,
            compaction);
      }
    } finally {
      gate.exitShared();
    }
  }

  /** Counters for statistics, in a stable order. */
  public Map<String, Object> stats() {
    gate.enterShared();
    try {
      return StoreStats.counters(chunkSize, manifest, spill, compaction.compactions());
    } finally {
      gate.exitShared();
    }
  }

  /** Bytes the store occupies on disk (spill file and manifest files). */
  public long diskBytes() {
    return StoreStats.diskBytes(manifest, spill.allocator());
  }

  /** What opening repaired: torn log bytes and torn spill bytes discarded. */
  public String recoverySummary() {
    return StoreStats.recoverySummary(manifest, spill.allocator());
  }

  /** True if opening found and discarded a torn tail in the manifest log or the spill file. */
  public boolean repairedOnOpen() {
    return StoreStats.repairedOnOpen(manifest, spill.allocator());
  }

  public Path directory() {
    return dir;
  }

  Manifest manifest() {
    return manifest;
  }

  DeltaAllocator allocator() {
    return spill.allocator();
  }

  void failpoint(Failpoint f) {
    compaction.failpoint(f);
    manifest.failpoint(f);
  }

  /**
   * The store's lock and open/closed/writable state, for the owner to share: taking it exclusively
   * keeps every read, write, fsync and compaction of the store out.
   */
  public StoreGate gate() {
    return gate;
  }

  /** Makes everything durable (unless read-only or broken) and closes the files. */
  @Override
  public void close() throws IOException {
    gate.enterExclusive();
    try {
      if (gate.isClosed()) {
        return;
      }
      try {
        if (!gate.isReadOnly() && !gate.isBroken()) {
          sync.fsync();
        }
      } finally {
        gate.markClosed();
        try {
          spill.allocator().close();
        } finally {
          manifest.close();
        }
      }
    } finally {
      gate.exitExclusive();
    }
  }
}
