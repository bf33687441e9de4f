package dev.cairn.delta;

import dev.cairn.error.CorruptStoreException;
import dev.cairn.io.Fsync;
import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A durable, sparse, resizable array of fixed-size chunks in one directory: a {@link
 * DeltaAllocator} spill file holds the chunks' bytes and a {@link Manifest} maps each chunk index
 * to its location. This is the storage under a writable overlay; it knows nothing about what the
 * chunks mean or what lies under them.
 *
 * <h2>Files</h2>
 *
 * {@code spill.S} (the spill file of spill generation S), and the manifest's files ({@code
 * manifest}, {@code manifest.log.G}, {@code manifest.tmp}). The manifest's attributes tie them
 * together:
 *
 * <pre>
 *   0  logical size in bytes (the owner's; chunks at or past it are kept all-zero or absent)
 *   1  spill generation S: which spill file the locations refer to
 *   2  spill end: how far spill.S is known to be durable
 *   3  chunk size
 *   4  chunk slots written to spill.S (live or overwritten), to estimate garbage
 *   5  chunks per spill record
 * </pre>
 *
 * <h2>fsync: data, then manifest</h2>
 *
 * {@link #fsync()} seals the open group and takes the manifest's buffered changes in one atomic
 * step (so that every location taken is in a sealed record), forces the spill file, and only then
 * appends and forces the manifest log. A crash at any point leaves a manifest whose every durable
 * location lies in durable spill data; spill records past the recorded spill end are unreferenced,
 * and a torn one is cut off when the store is opened.
 *
 * <h2>Compaction: reclaiming overwritten chunks</h2>
 *
 * {@link #compact()} copies the live chunks of {@code spill.S} into a new {@code spill.S+1} and
 * switches to it together with a manifest generation:
 *
 * <ol>
 *   <li>fsync as above, so the old state is wholly durable;
 *   <li>write the live chunks to {@code spill.S+1}, fsync it and the directory;
 *   <li>write a manifest generation whose map points into {@code spill.S+1} and whose attributes
 *       name S+1 (the manifest's own temp-file, fsync, rename, fsync-directory protocol) — the
 *       commit point;
 *   <li>delete {@code spill.S}.
 * </ol>
 *
 * Before step 3 is durable the manifest names S, so opening uses {@code spill.S} and deletes {@code
 * spill.S+1}; after it, the manifest names S+1, whose file was durable before the rename, and
 * opening deletes {@code spill.S}. No state in between needs repair.
 *
 * <p>Opening for writing also re-establishes the invariant about the logical size, which a crash in
 * the middle of an unsynced shrink or write past the end can break: chunks wholly past the size are
 * removed and the bytes of the chunk that straddles it are zeroed past it, so that growing the size
 * later always reveals zeros.
 *
 * <p><b>Thread safety:</b> thread-safe. Reads, writes and fsyncs run concurrently; writes to one
 * chunk are atomic with respect to reads of it; compaction and close exclude everything else. The
 * lock and the open/closed/writable state are the store's {@link StoreGate}, which the owner shares
 * (see {@link #gate()}) instead of keeping its own.
 *
 * <p>Over 400 lines because one invariant runs through all of it: every change takes an allocator
 * location and records it in the manifest under one mutex, and fsync, view and trim depend on that
 * pairing; the compaction copy lives in {@link SpillCompaction}.
 */
public final class DeltaStore implements Closeable {
  public static final int ATTR_LOGICAL_SIZE = 0;
  public static final int ATTR_SPILL_GENERATION = 1;
  public static final int ATTR_SPILL_END = 2;
  public static final int ATTR_CHUNK_SIZE = 3;
  public static final int ATTR_SPILL_SLOTS = 4;
  public static final int ATTR_CHUNKS_PER_RECORD = 5;

  static final String SPILL_PREFIX = "spill.";

  /** Below this spill size compaction is not worth a pause. */
  private static final long MIN_COMPACT_SPILL = 64L << 20;

  private final Path dir;
  private final ChunkCompressor compressor;
  private final StoreGate gate;
  private final Manifest manifest;
  private final int chunkSize;
  private final int chunkShift;
  private final Object mutex = new Object();
  private final Object fsyncLock = new Object();
  private volatile Failpoint failpoint = Failpoint.NONE;

  // Replaced only under the gate's exclusive lock.
  private DeltaAllocator allocator;
  private long slotsBase;
  private long compactions;

  // Guarded by mutex.
  private int pins;

  private DeltaStore(
      Path dir,
      ChunkCompressor compressor,
      boolean readOnly,
      Manifest manifest,
      DeltaAllocator allocator,
      long slotsBase) {
    this.dir = dir;
    this.compressor = compressor;
    this.gate = new StoreGate("store in " + dir, readOnly);
    this.manifest = manifest;
    this.allocator = allocator;
    this.chunkSize = allocator.chunkSize();
    this.chunkShift = Integer.numberOfTrailingZeros(chunkSize);
    this.slotsBase = slotsBase;
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
    DeltaAllocator a =
        DeltaAllocator.create(spillPath(dir, 0), chunkSize, chunksPerRecord, 0, compressor);
    Manifest m = null;
    try {
      Fsync.directory(dir);
      long[] attrs = new long[Manifest.ATTRIBUTES];
      attrs[ATTR_LOGICAL_SIZE] = logicalSize;
      attrs[ATTR_SPILL_GENERATION] = 0;
      attrs[ATTR_SPILL_END] = DeltaAllocator.HEADER_LENGTH;
      attrs[ATTR_CHUNK_SIZE] = chunkSize;
      attrs[ATTR_SPILL_SLOTS] = 0;
      attrs[ATTR_CHUNKS_PER_RECORD] = chunksPerRecord;
      m = Manifest.create(dir, attrs);
      return new DeltaStore(dir, compressor, false, m, a, 0);
    } catch (IOException | RuntimeException e) {
      a.close();
      throw e;
    }
  }

  /**
   * Opens the store in {@code dir} for reading and writing, repairing what a crash left behind
   * (torn tails, files of an interrupted compaction).
   */
  public static DeltaStore open(Path dir, ChunkCompressor compressor) throws IOException {
    return open(dir, compressor, false);
  }

  /** Opens the store without changing anything on disk; writing throws. */
  public static DeltaStore openReadOnly(Path dir, ChunkCompressor compressor) throws IOException {
    return open(dir, compressor, true);
  }

  private static DeltaStore open(Path dir, ChunkCompressor compressor, boolean readOnly)
      throws IOException {
    Manifest m = readOnly ? Manifest.openReadOnly(dir) : Manifest.open(dir);
    DeltaAllocator a = null;
    boolean ok = false;
    try {
      long generation = m.attribute(ATTR_SPILL_GENERATION);
      long durableEnd = m.attribute(ATTR_SPILL_END);
      Path spill = spillPath(dir, generation);
      a = DeltaAllocator.open(spill, compressor, durableEnd, readOnly);
      if (a.generation() != generation || a.chunkSize() != m.attribute(ATTR_CHUNK_SIZE)) {
        throw new CorruptStoreException(
            spill,
            "spill file is generation "
                + a.generation()
                + " with "
                + a.chunkSize()
                + "-byte chunks; the manifest expects generation "
                + generation
                + " with "
                + m.attribute(ATTR_CHUNK_SIZE));
      }
      DeltaStore s = new DeltaStore(dir, compressor, readOnly, m, a, m.attribute(ATTR_SPILL_SLOTS));
      if (!readOnly) {
        deleteOtherSpills(dir, generation);
        s.trimPastSize();
      }
      ok = true;
      return s;
    } finally {
      if (!ok) {
        if (a != null) {
          a.close();
        }
        m.close();
      }
    }
  }

  static Path spillPath(Path dir, long generation) {
    return dir.resolve(SPILL_PREFIX + generation);
  }

  private static void deleteOtherSpills(Path dir, long generation) throws IOException {
    String keep = SPILL_PREFIX + generation;
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, SPILL_PREFIX + "*")) {
      for (Path p : ds) {
        if (!p.getFileName().toString().equals(keep)) {
          Files.deleteIfExists(p);
        }
      }
    }
  }

  /** The logical size in bytes. */
  public long logicalSize() {
    return manifest.attribute(ATTR_LOGICAL_SIZE);
  }

  /** Raises the logical size to {@code end} if it is smaller. */
  public void extendLogicalSize(long end) throws IOException {
    gate.enterWrite();
    try {
      synchronized (mutex) {
        if (end > manifest.attribute(ATTR_LOGICAL_SIZE)) {
          manifest.setAttribute(ATTR_LOGICAL_SIZE, end);
        }
      }
    } finally {
      gate.exitShared();
    }
  }

  /**
   * Sets the logical size. Shrinking drops the chunks past the new size and zeroes the tail of the
   * one that straddles it, so that growing again reveals zeros. The new size is logged before the
   * removals, so any prefix of them that survives a crash is completed by the next open.
   */
  public void setLogicalSize(long size) throws IOException {
    if (size < 0) {
      throw new IllegalArgumentException("negative size " + size);
    }
    gate.enterWrite();
    try {
      synchronized (mutex) {
        long old = manifest.attribute(ATTR_LOGICAL_SIZE);
        manifest.setAttribute(ATTR_LOGICAL_SIZE, size);
        if (size < old) {
          trimLocked(size);
        }
      }
    } finally {
      gate.exitShared();
    }
  }

  private void trimPastSize() throws IOException {
    synchronized (mutex) {
      trimLocked(logicalSize());
    }
  }

  private void trimLocked(long size) throws IOException {
    long firstWhollyPast = (size + chunkSize - 1) >>> chunkShift;
    manifest.removeAtLeast(firstWhollyPast);
    int inChunk = (int) (size & (chunkSize - 1));
    long straddler = size >>> chunkShift;
    long loc = manifest.get(straddler, -1);
    if (inChunk != 0 && loc >= 0) {
      ByteBuffer b = ByteBuffer.allocate(chunkSize);
      allocator.read(loc, straddler, 0, b);
      boolean dirty = false;
      for (int i = inChunk; i < chunkSize && !dirty; i++) {
        dirty = b.get(i) != 0;
      }
      if (dirty) {
        for (int i = inChunk; i < chunkSize; i++) {
          b.put(i, (byte) 0);
        }
        b.clear();
        manifest.put(straddler, allocator.write(straddler, b));
      }
    }
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
      allocator.read(loc, chunk, from, dst);
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
        manifest.put(chunk, allocator.write(chunk, src));
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
        allocator.writeRun(firstChunk, src, locations);
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
      fsyncLocked();
    } finally {
      gate.exitShared();
    }
  }

  private void fsyncLocked() throws IOException {
    synchronized (fsyncLock) {
      Manifest.Cut cut;
      synchronized (mutex) {
        long end = allocator.seal();
        manifest.setAttribute(ATTR_SPILL_END, end);
        manifest.setAttribute(ATTR_SPILL_SLOTS, slotsBase + allocator.slots());
        cut = manifest.cut();
      }
      if (cut.isEmpty()) {
        return;
      }
      try {
        allocator.force();
      } catch (IOException e) {
        // After a failed fdatasync the kernel may have dropped the dirty pages; a retry could
        // report success for data that is gone, so nothing more is promised until a reopen.
        gate.markBroken();
        throw e;
      }
      manifest.commit(cut);
    }
  }

  /**
   * Reclaims the space of overwritten chunks by copying the live ones into a new spill file (see
   * the class comment for the protocol). Blocks all other use of the store meanwhile.
   *
   * @return false if it was skipped because a {@link View} is open
   */
  public boolean compact() throws IOException {
    gate.enterExclusive();
    try {
      gate.checkWritable();
      synchronized (mutex) {
        if (pins > 0) {
          return false;
        }
      }
      compactLocked();
      return true;
    } finally {
      gate.exitExclusive();
    }
  }

  /** Compacts if more than half the spill file is garbage and it is big enough to matter. */
  public boolean compactIfWorthwhile() throws IOException {
    if (gate.isReadOnly() || allocator.end() < MIN_COMPACT_SPILL || garbageRatio() < 0.5) {
      return false;
    }
    return compact();
  }

  private void compactLocked() throws IOException {
    fsyncLocked();
    DeltaAllocator old = allocator;
    allocator =
        SpillCompaction.copyAndSwitch(dir, manifest, old, compressor, failpoint, gate::markBroken);
    slotsBase = 0;
    compactions++;
    old.close();
    failpoint.reached("store.switched");
    try {
      Files.deleteIfExists(old.path());
    } catch (IOException e) {
      // Harmless: the next open deletes spill files of other generations.
    }
    failpoint.reached("store.old-spill-deleted");
  }

  /** The fraction of chunk slots in the spill file that no longer hold live data (0..1). */
  public double garbageRatio() {
    long total = slotsBase + allocator.slots();
    if (total == 0) {
      return 0;
    }
    return Math.max(0, 1 - (double) manifest.size() / total);
  }

  /**
   * A consistent, read-only picture of the store as of now: a private copy of the map, the logical
   * size, and the spill file to read from (the open group is sealed first, so every location in the
   * copy is in an immutable record). Later writes do not show through. While a view is open,
   * compaction is skipped. The caller must keep writes from being half-done at the moment of the
   * call if it needs a consistency larger than one chunk.
   */
  public View view() throws IOException {
    gate.enterRead();
    try {
      synchronized (mutex) {
        if (!gate.isReadOnly()) {
          allocator.seal();
        }
        pins++;
        return new View(manifest.copy(), logicalSize(), allocator);
      }
    } finally {
      gate.exitShared();
    }
  }

  /**
   * A frozen picture of a {@link DeltaStore}; see {@link DeltaStore#view()}. Valid until it or the
   * store is closed.
   *
   * <p><b>Thread safety:</b> thread-safe (it is immutable apart from closing).
   */
  public final class View implements Closeable {
    private final LongLongMap map;
    private final long size;
    private final long limit;
    private final DeltaAllocator source;
    private boolean closed;

    private View(LongLongMap map, long size, DeltaAllocator source) {
      this.map = map;
      this.size = size;
      this.limit = chunkLimit(size);
      this.source = source;
    }

    /** The logical size when the view was taken. */
    public long logicalSize() {
      return size;
    }

    public int chunkSize() {
      return chunkSize;
    }

    /** True if chunk {@code chunk} was stored (and lies before the logical size). */
    public boolean contains(long chunk) {
      return chunk < limit && map.containsKey(chunk);
    }

    /** Like {@link DeltaStore#read}, as of the view. */
    public boolean read(long chunk, int from, ByteBuffer dst) throws IOException {
      if (chunk >= limit) {
        return false;
      }
      long loc = map.get(chunk, -1);
      if (loc < 0) {
        return false;
      }
      source.read(loc, chunk, from, dst);
      return true;
    }

    /** The stored chunks before the logical size, ascending. */
    public long[] sortedChunks() {
      long[] all = map.sortedKeys();
      int n = 0;
      while (n < all.length && all[n] < limit) {
        n++;
      }
      return n == all.length ? all : java.util.Arrays.copyOf(all, n);
    }

    @Override
    public void close() {
      synchronized (mutex) {
        if (!closed) {
          closed = true;
          pins--;
        }
      }
    }
  }

  /** Counters for statistics, in a stable order. */
  public Map<String, Object> stats() {
    gate.enterShared();
    try {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("chunkSize", chunkSize);
      m.put("logicalSize", logicalSize());
      m.put("storedChunks", manifest.size());
      m.put("openGroupChunks", allocator.openChunks());
      m.put("spillBytes", allocator.end());
      m.put("spillDurableBytes", allocator.forcedEnd());
      m.put("spillGeneration", allocator.generation());
      m.put("garbageRatio", Math.round(garbageRatio() * 1000) / 1000.0);
      m.put("manifestBytes", manifest.snapshotBytes() + manifest.logBytes());
      m.put("manifestGeneration", manifest.generation());
      m.put("compactions", compactions);
      return m;
    } finally {
      gate.exitShared();
    }
  }

  /** Bytes the store occupies on disk (spill file and manifest files). */
  public long diskBytes() {
    return allocator.end() + manifest.snapshotBytes() + manifest.logBytes();
  }

  /** What opening repaired: torn log bytes and torn spill bytes discarded. */
  public String recoverySummary() {
    Manifest.Recovery m = manifest.recovery();
    DeltaAllocator.Recovery a = allocator.recovery();
    return "manifest: "
        + m.recordsReplayed()
        + " log records replayed, "
        + m.bytesDiscarded()
        + " torn bytes discarded; spill: "
        + a.recordsScanned()
        + " records past the durable end, "
        + a.bytesDiscarded()
        + " torn bytes discarded";
  }

  /** True if opening found and discarded a torn tail in the manifest log or the spill file. */
  public boolean repairedOnOpen() {
    return manifest.recovery().bytesDiscarded() > 0 || allocator.recovery().bytesDiscarded() > 0;
  }

  public Path directory() {
    return dir;
  }

  Manifest manifest() {
    return manifest;
  }

  DeltaAllocator allocator() {
    return allocator;
  }

  void failpoint(Failpoint f) {
    failpoint = f;
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
          fsyncLocked();
        }
      } finally {
        gate.markClosed();
        try {
          allocator.close();
        } finally {
          manifest.close();
        }
      }
    } finally {
      gate.exitExclusive();
    }
  }
}
