package dev.cairn.source;

import dev.cairn.config.Tuning;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * A {@link ByteSource} in front of another whose every read costs a request (a {@link
 * RemoteByteSource}), in the way Lucene's {@code NRTCachingDirectory} wraps a {@code Directory}:
 * reads of up to {@value #MAX_CHUNKS_PER_READ} chunks (stored blocks, index pages) are served from
 * whole {@value #CHUNK}-byte chunks of the inner source, of which the last {@value #CHUNKS} are
 * kept in memory and, unless turned off, on local disk ({@link DiskChunkCache}): each chunk is read
 * from the inner source once, and every later process reading the same object version gets it
 * without a request. Larger reads go to the inner source as they are. A reader moving forward chunk
 * by chunk gets the next chunks read ahead of it ({@code -Dcairn.remote.readAhead=N}, default 4; 0
 * turns it off).
 *
 * <p>When a chunk's read failed after taking at least {@link RetryPolicy#timeout()}, reads of that
 * chunk in the next second fail at once with the same message: the kernel answers a failed read
 * request by asking again at once for the page the reader wanted, which would otherwise wait
 * through four more timeouts.
 *
 * <p><b>Thread safety:</b> safe for concurrent use if the inner source is. Concurrent readers of
 * the same chunk wait for one read instead of each reading it; a read holds no lock, so a stalled
 * one delays only the readers of its own chunk. Closing closes the inner source.
 */
public final class ChunkCachingSource implements ByteSource {
  static final int CHUNK = 1 << 20;
  private static final int CHUNKS = 16;
  private static final int MAX_CHUNKS_PER_READ = 4;

  /** How long a chunk whose read gave up after a timeout fails again without a request. */
  private static final long GAVE_UP_NANOS = 1_000_000_000L;

  /** Chunks read ahead of a sequential reader. */
  private static final int READ_AHEAD = Tuning.current().remoteReadAhead();

  /**
   * Reads chunks ahead of a sequential reader, shared by all cached sources: a mount's two serving
   * threads would otherwise have at most two requests in flight, and each waits a round trip.
   */
  private static final ExecutorService AHEAD =
      Executors.newFixedThreadPool(
          Math.max(1, READ_AHEAD),
          r -> {
            Thread t = new Thread(r, "cairn-remote-read-ahead");
            t.setDaemon(true);
            return t;
          });

  private final ByteSource inner;
  private final long size;
  private final DiskChunkCache disk;
  private final RemoteCounters counters;
  private final AtomicReferenceArray<Chunk> chunks = new AtomicReferenceArray<>(CHUNKS);
  private final ConcurrentHashMap<Long, CompletableFuture<byte[]>> loading =
      new ConcurrentHashMap<>();
  private final AtomicLong lastAccess = new AtomicLong(Long.MIN_VALUE / 2);
  private final AtomicLong aheadUpTo = new AtomicLong(-1);
  private volatile GaveUp gaveUp;
  private volatile boolean closed;

  /**
   * @param disk where chunks of this version of the object persist, or null for memory only
   * @param counters where chunks served from {@code disk} are counted
   */
  ChunkCachingSource(ByteSource inner, DiskChunkCache disk, RemoteCounters counters)
      throws IOException {
    this.inner = inner;
    this.size = inner.size();
    this.disk = disk;
    this.counters = counters;
  }

  /**
   * {@code fetcher} behind chunks cached in memory and in the disk cache, keyed by its URL, size
   * and version.
   */
  public static ChunkCachingSource of(RemoteByteSource fetcher) throws IOException {
    return new ChunkCachingSource(
        fetcher,
        DiskChunkCache.forObject(fetcher.describe(), fetcher.size(), fetcher.validator()),
        fetcher.counting());
  }

  /**
   * Opens the remote object {@code uri} names ({@link RemoteByteSource#open(URI)}) behind a chunk
   * cache: the way to read a snapshot over the network.
   *
   * @throws java.nio.file.NoSuchFileException if the server says the object does not exist
   * @throws IllegalArgumentException if the scheme is not one of http, https, s3, or the URL lacks
   *     a part the scheme needs
   * @throws IOException if the object cannot be reached
   */
  public static ChunkCachingSource open(URI uri) throws IOException {
    return of(RemoteByteSource.open(uri));
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
        int slot = (int) (index % CHUNKS);
        Chunk c = chunks.get(slot);
        if (c != null && c.index() == index) {
          chunks.compareAndSet(slot, c, null);
        }
      }
    }
    inner.invalidate(position, length);
    return true;
  }

  /**
   * What reading this object has cost since it was opened, as {@link RemoteCounters} names it:
   * {@code requests}, {@code bytes_fetched}, {@code disk_cache_chunks}.
   */
  public Map<String, Long> counters() {
    return counters.snapshot();
  }

  /** Chunk {@code index} of the object ({@link #CHUNK} bytes, or fewer at the end), cached. */
  private byte[] chunk(long index) throws IOException {
    // a reader moving forward chunk by chunk (two serving threads may swap neighbours) gets the
    // next chunks read ahead of it
    long previous = lastAccess.getAndSet(index);
    if (READ_AHEAD > 0
        && index > previous
        && index - previous <= 2
        && aheadUpTo.get() < index + READ_AHEAD) {
      readAhead(index);
    }
    return load(index);
  }

  /**
   * Chunk {@code index} from memory, the disk cache or the inner source, in that order. The first
   * reader of a missing chunk loads it with no lock held; readers of the same chunk meanwhile wait
   * for that load (and share its failure), readers of other chunks do not wait at all.
   */
  private byte[] load(long index) throws IOException {
    int slot = (int) (index % CHUNKS);
    Chunk c = chunks.get(slot);
    if (c != null && c.index() == index) {
      return c.data();
    }
    CompletableFuture<byte[]> mine = new CompletableFuture<>();
    CompletableFuture<byte[]> running = loading.putIfAbsent(index, mine);
    if (running != null) {
      return await(running);
    }
    try {
      c = chunks.get(slot);
      byte[] data = c != null && c.index() == index ? c.data() : loadMissing(index);
      chunks.set(slot, new Chunk(index, data));
      mine.complete(data);
      return data;
    } catch (IOException | RuntimeException | Error e) {
      mine.completeExceptionally(e);
      throw e;
    } finally {
      loading.remove(index, mine);
    }
  }

  private byte[] loadMissing(long index) throws IOException {
    long start = index * CHUNK;
    int length = (int) Math.min(CHUNK, size - start);
    byte[] data = disk == null ? null : disk.get(index, length);
    if (data != null) {
      counters.diskChunk();
      return data;
    }
    GaveUp g = gaveUp;
    if (g != null && g.index() == index && System.nanoTime() - g.atNanos() < GAVE_UP_NANOS) {
      throw new IOException(g.failure().getMessage(), g.failure());
    }
    ByteBuffer b = ByteBuffer.allocate(length);
    long t0 = System.nanoTime();
    try {
      inner.readFully(start, b);
    } catch (IOException e) {
      long now = System.nanoTime();
      if (now - t0 >= TimeUnit.SECONDS.toNanos(RetryPolicy.timeout())) {
        gaveUp = new GaveUp(index, now, e);
      }
      throw e;
    }
    data = b.array();
    if (disk != null) {
      disk.put(index, data);
    }
    return data;
  }

  /** The outcome of another thread's load of the same chunk. */
  private static byte[] await(CompletableFuture<byte[]> load) throws IOException {
    try {
      return load.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted");
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof IOException io) {
        throw new IOException(io.getMessage(), io);
      }
      if (cause instanceof RuntimeException r) {
        throw r;
      }
      throw (Error) cause;
    }
  }

  /** Starts loading the chunks after {@code index} that no one has asked for yet. */
  private void readAhead(long index) {
    long end = Math.min(index + READ_AHEAD, (size - 1) / CHUNK);
    for (long c = Math.max(index + 1, aheadUpTo.get() + 1); c <= end; c++) {
      long next = c;
      aheadUpTo.accumulateAndGet(next, Math::max);
      AHEAD.execute(
          () -> {
            try {
              if (!closed) {
                load(next);
              }
            } catch (IOException | RuntimeException e) {
              // the reader that needs this chunk loads it again and reports what fails
            }
          });
    }
  }

  /** One cached chunk of the object. */
  private record Chunk(long index, byte[] data) {}

  /** The latest chunk whose read gave up after a timeout, when, and why. */
  private record GaveUp(long index, long atNanos, IOException failure) {}

  @Override
  public String describe() {
    return inner.describe();
  }

  @Override
  public void close() throws IOException {
    closed = true;
    inner.close();
  }
}
