package dev.cairn.source;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.atomic.LongAdder;

/**
 * A {@link ByteSource} over an object behind a network API that reads byte ranges: an HTTP(S)
 * server ({@link HttpByteSource}) or S3 ({@link S3ByteSource}). The variants are closed: one per
 * URL scheme, chosen by {@link #open(URI)}.
 *
 * <p>A request costs far more than the bytes it carries, so reads of up to {@value
 * #MAX_CHUNKS_PER_READ} chunks (stored blocks, index pages) are served from whole {@value
 * #CHUNK}-byte chunks of the object, of which the last {@value #CHUNKS} are kept in memory and,
 * unless turned off, on local disk ({@link DiskChunkCache}): each chunk crosses the network once,
 * and every later process reading the same object version gets it without a request. Larger reads
 * go out as one ranged request each. Subclasses only fetch exact ranges.
 *
 * <p>Every request is bounded: no connection, no response or no body byte for {@link #timeout()}
 * (system property {@code cairn.remote.timeout}, seconds, default 10) fails that attempt, and a
 * failed attempt that may succeed later (connection refused or reset, timeouts, a body cut short,
 * {@code 5xx}, {@code 429}) is repeated up to {@value #ATTEMPTS} times in all, with pauses of 0.2,
 * 0.4 and 0.8 s, before the read fails. When giving up took at least one timeout, reads of the same
 * chunk in the next second fail at once with the same message.
 *
 * <p><b>Thread safety:</b> safe for concurrent use. Concurrent readers of the same chunk wait for
 * one fetch instead of each fetching it; a fetch holds no lock, so a stalled one delays only the
 * readers of its own chunk.
 */
public abstract sealed class RemoteByteSource implements ByteSource
    permits HttpByteSource, S3ByteSource {
  static final int CHUNK = 1 << 20;
  private static final int CHUNKS = 16;
  private static final int MAX_CHUNKS_PER_READ = 4;
  static final int ATTEMPTS = 4;

  /** How long a chunk whose fetch gave up after a timeout fails again without a request. */
  private static final long GAVE_UP_NANOS = 1_000_000_000L;

  /**
   * Chunks fetched ahead of a sequential reader; {@code -Dcairn.remote.readAhead=0} turns it off.
   */
  private static final int READ_AHEAD =
      Math.max(0, Integer.getInteger("cairn.remote.readAhead", 4));

  /**
   * Fetches chunks ahead of a sequential reader, shared by all remote sources: a mount's two
   * serving threads would otherwise have at most two requests in flight, and each waits a round
   * trip.
   */
  private static final ExecutorService AHEAD =
      Executors.newFixedThreadPool(
          Math.max(1, READ_AHEAD),
          r -> {
            Thread t = new Thread(r, "cairn-remote-read-ahead");
            t.setDaemon(true);
            return t;
          });

  private final String name;
  private final long size;
  private final AtomicReferenceArray<Chunk> chunks = new AtomicReferenceArray<>(CHUNKS);
  private final ConcurrentHashMap<Long, CompletableFuture<byte[]>> loading =
      new ConcurrentHashMap<>();
  private final DiskChunkCache disk;
  private final LongAdder requests = new LongAdder();
  private final LongAdder fetchedBytes = new LongAdder();
  private final LongAdder diskChunks = new LongAdder();
  private final AtomicLong lastAccess = new AtomicLong(Long.MIN_VALUE / 2);
  private final AtomicLong aheadUpTo = new AtomicLong(-1);
  private volatile GaveUp gaveUp;
  private volatile boolean closed;

  /**
   * @param validator the server's ETag or Last-Modified for this version of the object, or null
   */
  RemoteByteSource(String name, long size, String validator) {
    this.name = name;
    this.size = size;
    this.disk = DiskChunkCache.forObject(name, size, validator);
  }

  /**
   * How long a request may go without progress (connecting, waiting for the response, between two
   * body bytes) before the attempt fails: {@code -Dcairn.remote.timeout=SECONDS}, default 10. Read
   * per request so that tests can shorten it.
   */
  static int timeout() {
    return Math.max(1, Integer.getInteger("cairn.remote.timeout", 10));
  }

  /** One attempt at a request; throws {@link TransientException} for what a retry may fix. */
  @FunctionalInterface
  interface Attempt<T> {
    T run() throws IOException;
  }

  /**
   * Runs {@code attempt} up to {@value #ATTEMPTS} times while it fails with a {@link
   * TransientException}, pausing between tries; the last failure is reported with "(gave up after 4
   * attempts)". Other failures end it at once.
   */
  static <T> T withRetries(Attempt<T> attempt) throws IOException {
    TransientException failure = null;
    for (int i = 0; i < ATTEMPTS; i++) {
      if (i > 0) {
        try {
          Thread.sleep(100L << i);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new InterruptedIOException(failure.getMessage() + " (interrupted)");
        }
      }
      try {
        return attempt.run();
      } catch (TransientException e) {
        failure = e;
      }
    }
    throw new IOException(
        failure.getMessage() + " (gave up after " + ATTEMPTS + " attempts)", failure);
  }

  /**
   * Whether {@code spec} names a remote object ({@code http://}, {@code https://}, {@code s3://}).
   */
  public static boolean isRemote(String spec) {
    return HttpByteSource.isUrl(spec) || S3ByteSource.isUrl(spec);
  }

  /**
   * Opens the object {@code uri} names, by scheme.
   *
   * @throws java.nio.file.NoSuchFileException if the server says the object does not exist
   * @throws IllegalArgumentException if the scheme is not one of http, https, s3, or the URL lacks
   *     a part the scheme needs
   * @throws IOException if the object cannot be reached
   */
  public static RemoteByteSource open(URI uri) throws IOException {
    String scheme = uri.getScheme() == null ? "" : uri.getScheme();
    return switch (scheme) {
      case "http", "https" -> HttpByteSource.open(uri);
      case "s3" -> S3ByteSource.open(uri);
      default -> throw new IllegalArgumentException(uri + ": not an http(s) or s3 URL");
    };
  }

  @Override
  public final long size() {
    return size;
  }

  @Override
  public final void readFully(long position, ByteBuffer dst) throws IOException {
    if (closed) {
      throw new ClosedChannelException();
    }
    if (position < 0) {
      throw new IllegalArgumentException("negative position " + position);
    }
    int length = dst.remaining();
    if (position + length > size || position + length < 0) {
      throw new EOFException(
          name + ": read of " + length + " bytes at " + position + " past end " + size);
    }
    if (length == 0) {
      return;
    }
    long first = position / CHUNK;
    long last = (position + length - 1) / CHUNK;
    if (last - first < MAX_CHUNKS_PER_READ) {
      // Reads of a few chunks (stored blocks, index pages, also those straddling a chunk boundary)
      // are assembled from whole cached chunks, so that each chunk crosses the network once.
      long pos = position;
      for (long c = first; c <= last; c++) {
        byte[] data = chunk(c);
        int from = (int) (pos - c * CHUNK);
        int n = Math.min(data.length - from, dst.remaining());
        dst.put(data, from, n);
        pos += n;
      }
      return;
    }
    counted(position, dst);
  }

  /**
   * What this source has done since it was opened: ranged requests sent ({@code requests}), the
   * bytes they brought ({@code bytes_fetched}) and chunks served from the local disk cache instead
   * ({@code disk_cache_chunks}). Opening costs one more request (size and version), not counted.
   */
  public Map<String, Long> counters() {
    Map<String, Long> m = new LinkedHashMap<>();
    m.put("requests", requests.sum());
    m.put("bytes_fetched", fetchedBytes.sum());
    m.put("disk_cache_chunks", diskChunks.sum());
    return m;
  }

  private void counted(long position, ByteBuffer dst) throws IOException {
    int length = dst.remaining();
    int start = dst.position();
    withRetries(
        () -> {
          requests.increment();
          dst.position(start);
          fetch(position, dst);
          return null;
        });
    fetchedBytes.add(length);
  }

  /**
   * Reads exactly {@code dst.remaining()} bytes of the object at {@code position} (within its size)
   * with one ranged request, one attempt, bounded by {@link #timeout()}; never takes bytes from
   * another place.
   *
   * @throws TransientException if another attempt may succeed
   */
  abstract void fetch(long position, ByteBuffer dst) throws IOException;

  /**
   * Reads a blocking response body into {@code dst} until it is full. Whoever made {@code body}
   * bounds each of its reads by {@link #timeout()} (a socket read timeout); a read that times out
   * or a body that ends early fails the attempt.
   */
  final void readBody(InputStream body, ByteBuffer dst) throws IOException {
    int requested = dst.remaining();
    byte[] buf = new byte[Math.min(requested, 64 << 10)];
    while (dst.hasRemaining()) {
      int n;
      try {
        n = body.read(buf, 0, Math.min(buf.length, dst.remaining()));
      } catch (SocketTimeoutException e) {
        throw stalled(name, e);
      } catch (IOException e) {
        throw closedShort(name, dst.remaining(), requested, e);
      }
      if (n < 0) {
        throw closedShort(name, dst.remaining(), requested, null);
      }
      dst.put(buf, 0, n);
    }
  }

  /** A body that stopped arriving for {@link #timeout()}. */
  static TransientException stalled(String name, Throwable cause) {
    return new TransientException(name + ": no data for " + timeout() + " s", cause);
  }

  /** A body that ended {@code missing} bytes before the {@code requested} ones. */
  static TransientException closedShort(String name, int missing, int requested, Throwable cause) {
    return new TransientException(
        name
            + ": the server closed the connection "
            + missing
            + " bytes short of the "
            + requested
            + " requested",
        cause);
  }

  /** Chunk {@code index} of the object ({@link #CHUNK} bytes, or fewer at the end), cached. */
  private byte[] chunk(long index) throws IOException {
    // a reader moving forward chunk by chunk (two serving threads may swap neighbours) gets the
    // next chunks fetched ahead of it
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
   * Chunk {@code index} from memory, the disk cache or the network, in that order. The first reader
   * of a missing chunk loads it with no lock held; readers of the same chunk meanwhile wait for
   * that load (and share its failure), readers of other chunks do not wait at all.
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
      diskChunks.increment();
      return data;
    }
    GaveUp g = gaveUp;
    if (g != null && g.index() == index && System.nanoTime() - g.atNanos() < GAVE_UP_NANOS) {
      // The kernel answers a failed read request by asking again at once for the one page the
      // reader wanted: without this, that page would wait through four more timeouts.
      throw new IOException(g.failure().getMessage(), g.failure());
    }
    ByteBuffer b = ByteBuffer.allocate(length);
    long t0 = System.nanoTime();
    try {
      counted(start, b);
    } catch (IOException e) {
      long now = System.nanoTime();
      if (now - t0 >= TimeUnit.SECONDS.toNanos(timeout())) {
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

  /** Starts fetching the chunks after {@code index} that no one has asked for yet. */
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
              // the reader that needs this chunk fetches it again and reports what fails
            }
          });
    }
  }

  /** One cached chunk of the object. */
  private record Chunk(long index, byte[] data) {}

  /** The latest chunk whose fetch gave up after a timeout, when, and why. */
  private record GaveUp(long index, long atNanos, IOException failure) {}

  @Override
  public final String describe() {
    return name;
  }

  @Override
  public void close() {
    closed = true;
  }
}
