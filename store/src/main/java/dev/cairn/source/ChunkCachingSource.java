package dev.cairn.source;

import dev.cairn.config.Tuning;
import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.LongConsumer;

/**
 * A {@link ByteSource} in front of another whose every read costs a request (a {@link
 * RemoteByteSource}), in the way Lucene's {@code NRTCachingDirectory} wraps a {@code Directory}:
 * reads of up to {@value #MAX_CHUNKS_PER_READ} chunks (stored blocks, index pages) are served from
 * whole {@value #CHUNK}-byte chunks of the inner source, of which the last {@value
 * ChunkLoads#CHUNKS} are kept in memory and, unless turned off, on local disk ({@link
 * DiskChunkCache}): each chunk is read from the inner source once, and every later process reading
 * the same object version gets it without a request. Larger reads go to the inner source as they
 * are.
 *
 * <p>Whole chunks are for readers moving through the object. A read that is not part of a
 * sequential stream ({@link ReadStreams}: {@code -Dcairn.remote.sequentialBytes} contiguous stored
 * bytes, default 512 KiB) and whose chunks are not cached fetches only its own bytes, 4
 * KiB-aligned, and keeps them as a piece ({@link CachedPieces}) in memory and on disk: a VM boot
 * reads a block here and a few there, and a whole chunk for each would fetch several times the
 * bytes it reads.
 *
 * <p>A reader moving forward chunk by chunk gets chunks read ahead of it in a window that grows
 * with its streak up to what the link needs in flight ({@link ReadAheadWindow}, sized by the
 * measured {@link LinkEstimate}; {@code -Dcairn.remote.readAhead=N} chunks at first, default 4, 0
 * turns it off; {@code -Dcairn.remote.readAheadMax}). Chunks missing side by side go out as one
 * ranged request of up to {@value #MAX_RUN} chunks ({@link ChunkRuns}), several requests in flight
 * at once on the process's fetch threads, within its {@link RemoteLimits} (request slots, bandwidth
 * cap, read-ahead bytes in flight). Every byte still comes from one checked ranged response (a
 * short or misplaced one fails and is retried, and is never cached); what the bytes mean is checked
 * above this source, which drops a range found wrong ({@link #invalidate}).
 *
 * <p>When a chunk's read failed after taking at least {@link RetryPolicy#timeout()}, reads of that
 * chunk in the next second fail at once with the same message ({@link GuardedFetch}).
 *
 * <p>When the server is unreachable at {@link RemoteObjects#open(URI)}, an object whose every chunk
 * is in the disk cache is read from there, trusting the size and validator the cache recorded
 * ({@link ObjectRecord}); one line on stderr says so. {@link #warm} fills the disk cache with every
 * chunk ({@code cairn fetch}).
 *
 * <p><b>Thread safety:</b> safe for concurrent use if the inner source is. Concurrent readers of
 * the same chunk wait for one read instead of each reading it; a read holds no lock, so a stalled
 * one delays only the readers of its own chunk. Closing closes the inner source.
 */
public final class ChunkCachingSource implements ByteSource {
  static final int CHUNK = 1 << 20;
  private static final int MAX_CHUNKS_PER_READ = 4;

  /** The most adjacent chunks one coalesced request fetches. */
  static final int MAX_RUN = 4;

  /** The bytes of pieces kept in memory (on disk, the disk cache's limit applies). */
  private static final long PIECES_IN_MEMORY = 16L << 20;

  private final ByteSource inner;
  private final long size;
  private final long lastChunk;
  private final DiskChunkCache disk;
  private final RemoteCounters counters;
  private final java.util.function.IntSupplier linkChunks;
  private final ReadAheadWindow window;
  private final ReadStreams streams;
  private final CachedPieces pieces;
  private volatile boolean scatteredPieces; // scattered foreground reads fetch pieces
  private final ChunkLoads loads;
  private final ChunkPresence presence;
  private final GuardedFetch guarded;
  private volatile boolean closed;

  /**
   * @param disk where chunks of this version of the object persist, or null for memory only
   * @param counters where chunks served from {@code disk} are counted
   */
  ChunkCachingSource(ByteSource inner, DiskChunkCache disk, RemoteCounters counters)
      throws IOException {
    this(inner, disk, counters, RemoteLimits.shared(), null, defaultWindow(disk), 0, false);
  }

  /**
   * @param sequentialBytes with pieces on, the stored bytes a reader reads (covering half of what
   *     it spans) before it is served whole chunks ({@link ReadStreams}); until then a read of
   *     bytes not cached fetches its own bytes only ({@link CachedPieces}); 0: no pieces, whole
   *     chunks always, also for {@link #prefetch}
   * @param scatteredPieces whether scattered reads fetch pieces from the start; otherwise only
   *     after the first {@link #prefetch}
   */
  ChunkCachingSource(
      ByteSource inner,
      DiskChunkCache disk,
      RemoteCounters counters,
      RemoteLimits limits,
      LinkEstimate link,
      ReadAheadWindow window,
      long sequentialBytes,
      boolean scatteredPieces)
      throws IOException {
    this.inner = inner;
    this.size = inner.size();
    this.lastChunk = Math.max(0, (size - 1) / CHUNK);
    this.disk = disk;
    this.counters = counters;
    this.window = window;
    this.linkChunks = link == null ? () -> 0 : () -> link.chunksInFlight(CHUNK);
    this.streams = sequentialBytes > 0 ? new ReadStreams(sequentialBytes) : null;
    this.guarded = new GuardedFetch(inner, CHUNK);
    this.pieces =
        sequentialBytes > 0 ? new CachedPieces(size, disk, PIECES_IN_MEMORY, guarded) : null;
    this.presence = new ChunkPresence(size, disk);
    this.loads = new ChunkLoads(inner, size, disk, counters, limits, guarded, this::installed);
    this.scatteredPieces = scatteredPieces && pieces != null;
  }

  /**
   * The read-ahead window as tuned; without a disk cache it stays within the chunks kept in memory,
   * or what it read ahead would be dropped before it is used.
   */
  private static ReadAheadWindow defaultWindow(DiskChunkCache disk) {
    Tuning t = Tuning.current();
    int max =
        disk == null
            ? Math.min(t.remoteReadAheadMax(), ChunkLoads.CHUNKS - 4)
            : t.remoteReadAheadMax();
    return new ReadAheadWindow(t.remoteReadAhead(), max, MAX_RUN);
  }

  /**
   * {@code fetcher} behind chunks cached in memory and in the disk cache, keyed by its URL, size
   * and version; the disk cache records that version as the URL's current one.
   */
  public static ChunkCachingSource of(RemoteByteSource fetcher) throws IOException {
    DiskChunkCache disk =
        DiskChunkCache.forObject(fetcher.describe(), fetcher.size(), fetcher.validator());
    if (disk != null) {
      disk.record();
    }
    return new ChunkCachingSource(
        fetcher,
        disk,
        fetcher.counting(),
        RemoteLimits.shared(),
        fetcher.link(),
        defaultWindow(disk),
        Tuning.current().remoteSequentialBytes(),
        false);
  }

  /**
   * Starts loading the object's last chunk in the background (from the disk cache if it is there),
   * for a reader that opens the object from both ends ({@link RemoteObjects#openBothEnds}): the
   * round trip for the end then overlaps the one for the start instead of following it. Nothing for
   * an object of one chunk.
   */
  void startLoadingLastChunk() {
    if (lastChunk > 0 && !loads.held(lastChunk)) {
      loads.startRuns(new long[] {lastChunk}, 1);
    }
  }

  @Override
  public long size() {
    return size;
  }

  @Override
  public void readFully(long position, ByteBuffer dst) throws IOException {
    int length = dst.remaining();
    RangeCheck.check(closed, describe(), size, position, length);
    if (length == 0) {
      return;
    }
    long first = position / CHUNK;
    long last = (position + length - 1) / CHUNK;
    if (last - first >= MAX_CHUNKS_PER_READ) {
      inner.readFully(position, dst);
      return;
    }
    if (scatteredPieces) {
      boolean sequential = streams.sequential(position, length);
      if (!inMemory(first, last)) {
        if (pieces.read(position, dst)) {
          return;
        }
        if (!sequential && !onDisk(first, last)) {
          pieces.fetch(position, length, dst);
          return;
        }
      }
    }
    // Reads of a few chunks (stored blocks, index pages, also those straddling a chunk boundary)
    // are assembled from whole cached chunks, so that each chunk is requested once.
    long pos = position;
    for (long c = first; c <= last; c++) {
      byte[] data = chunk(c);
      int from = (int) (pos - c * CHUNK);
      int n = Math.min(data.length - from, dst.remaining());
      dst.put(data, from, n);
      pos += n;
    }
  }

  /**
   * Fetches the range unless a cached chunk or piece holds it: as a piece if it is under a chunk (a
   * boot's runs of a few blocks), else as the chunks covering it, coalesced and on disk (a
   * profile's long runs: a model load); with pieces off, always as chunks. From then on, scattered
   * reads fetch pieces too: a source asked to prefetch exact ranges is read by a workload an access
   * profile describes, whose reads the profile has not reached yet are as scattered as the
   * profile's, and a megabyte around each would fetch several times what it reads. A cold read with
   * no profile keeps whole chunks, whose neighbouring bytes a boot reads soon after: fewer round
   * trips, at the price of bytes.
   */
  @Override
  public void prefetch(long position, int length) throws IOException {
    RangeCheck.check(closed, describe(), size, position, length);
    if (length == 0) {
      return;
    }
    long first = position / CHUNK;
    long last = (position + length - 1) / CHUNK;
    if (pieces != null && length < CHUNK) {
      scatteredPieces = true;
      if (!inMemory(first, last) && !onDisk(first, last)) {
        pieces.prefetch(position, length);
      }
      return;
    }
    long[] missing =
        java.util.stream.LongStream.rangeClosed(first, last)
            .filter(c -> loads.inMemory(c) == null && !onDisk(c, c))
            .toArray();
    for (CompletableFuture<byte[]> f : loads.loadRuns(missing, data -> {})) {
      ChunkLoads.await(f);
    }
  }

  /** Whether a chunk in memory or on disk, or a piece, holds the range. */
  @Override
  public boolean holds(long position, int length) {
    if (length <= 0 || position < 0 || position + length > size) {
      return true; // nothing to fetch: the read itself fails or reads nothing
    }
    long first = position / CHUNK;
    long last = (position + length - 1) / CHUNK;
    return inMemory(first, last)
        || onDisk(first, last)
        || (pieces != null && pieces.holds(position, length));
  }

  /**
   * Where reads fetch pieces, fetches what no chunk or piece holds of the range as one piece,
   * unless the range is part of a sequential stream (whose reads fetch whole chunks, read ahead) or
   * a chunk long; otherwise leaves it to the reads.
   */
  @Override
  public void willRead(long position, int length) throws IOException {
    RangeCheck.check(closed, describe(), size, position, length);
    if (!scatteredPieces || length == 0 || length >= CHUNK) {
      return;
    }
    long first = position / CHUNK;
    long last = (position + length - 1) / CHUNK;
    if (!inMemory(first, last)
        && !onDisk(first, last)
        && !streams.isSequential(position, length)
        && !pieces.holds(position, length)) {
      pieces.fetch(position, length, null);
    }
  }

  /** Whether chunks {@code first..last} are in memory or being loaded. */
  private boolean inMemory(long first, long last) {
    return loads.heldAll(first, last);
  }

  /** Whether chunks {@code first..last} are in the disk cache. */
  private boolean onDisk(long first, long last) {
    return disk != null && disk.hasAll(first, last);
  }

  /**
   * Drops the chunks covering the range from memory and from the disk cache: a server (or a disk
   * cache filled from one) that once delivered wrong bytes of the right length would otherwise have
   * them served until the object changes. The next read of the range fetches it again.
   */
  @Override
  public boolean invalidate(long position, int length) {
    if (position < 0 || length <= 0 || position >= size) {
      return false;
    }
    long first = position / CHUNK;
    long last = (Math.min(position + length, size) - 1) / CHUNK;
    if (last - first < MAX_CHUNKS_PER_READ) {
      for (long index = first; index <= last; index++) {
        // the disk copy first, so that a reader missing the memory copy meanwhile cannot bring the
        // wrong bytes back from disk
        if (disk != null) {
          disk.remove(index);
        }
        loads.forget(index);
        presence.dropped(index);
      }
    }
    if (pieces != null) {
      pieces.invalidate(position, length);
    }
    inner.invalidate(position, length);
    return true;
  }

  /**
   * What reading this object has cost since it was opened, as {@link RemoteCounters} names it:
   * {@code requests}, {@code bytes_fetched}, {@code disk_cache_chunks}; then how much of it this
   * process knows to be cached ({@code cached_bytes}, {@code cached_percent}: in the disk cache
   * when there is one, else in memory; whole chunks and pieces, so an upper bound where pieces lie
   * inside cached chunks).
   */
  public Map<String, Object> counters() {
    Map<String, Object> m = new java.util.LinkedHashMap<>(counters.snapshot());
    long cached = presence.cachedBytes();
    if (pieces != null) {
      cached = Math.min(size, cached + pieces.bytes()); // pieces inside cached chunks count twice
    }
    m.put("cached_bytes", cached);
    m.put("cached_percent", size == 0 ? 100.0 : Math.round(1000.0 * cached / size) / 10.0);
    return m;
  }

  /** Chunk {@code index} is cached now: counted, and the pieces inside it dropped. */
  private void installed(long index, int length) {
    presence.installed(index);
    if (pieces != null) {
      pieces.dropWithin(index * CHUNK, index * CHUNK + length); // the chunk holds them now
    }
  }

  /** The length of chunk {@code index} of an object of {@code size} bytes: the last is shorter. */
  static int chunkLength(long size, long index) {
    return (int) Math.min(CHUNK, size - index * CHUNK);
  }

  /**
   * Puts every chunk of the object into the disk cache that is not there yet ({@link DiskFill}),
   * telling {@code progress} the bytes of the object cached so far. Returns the bytes of the chunks
   * it loaded.
   *
   * @throws IOException if a request fails after its retries, or if there is no disk cache to fill,
   *     or if chunks are missing afterwards (the cache limit is smaller than the object)
   */
  public long warm(LongConsumer progress) throws IOException {
    return DiskFill.fill(describe(), size, disk, loads, presence, progress);
  }

  /** Chunk {@code index} of the object ({@link #CHUNK} bytes, or fewer at the end), cached. */
  private byte[] chunk(long index) throws IOException {
    ReadAheadWindow.Span span = window.onAccess(index, lastChunk, linkChunks);
    if (span != null) {
      readAhead(span);
    }
    return loads.load(index);
  }

  /**
   * Starts loading the chunks of {@code span} that are neither in memory nor being loaded, as far
   * as the read-ahead budget allows; the rest is offered again on a later step.
   */
  private void readAhead(ReadAheadWindow.Span span) {
    long[] wanted =
        java.util.stream.LongStream.rangeClosed(span.first(), span.last())
            .filter(c -> !loads.held(c))
            .toArray();
    long notStarted = loads.startRuns(wanted, span.run());
    if (notStarted >= 0) {
      window.rewind(notStarted - 1);
    }
  }

  @Override
  public String describe() {
    return inner.describe();
  }

  @Override
  public void close() throws IOException {
    closed = true;
    loads.close();
    inner.close();
  }
}
