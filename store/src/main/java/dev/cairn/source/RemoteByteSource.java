package dev.cairn.source;

import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;

/**
 * A {@link ByteSource} over an object behind a network API that reads byte ranges: an HTTP(S)
 * server ({@link HttpByteSource}) or S3 ({@link S3ByteSource}). The variants are closed: one per
 * URL scheme. A remote source only fetches: every read is one ranged request, bounded and retried
 * by the {@link RetryPolicy} both share, and never takes bytes from another place. What makes
 * reading a snapshot over the network affordable (whole cached chunks, the disk cache, read-ahead)
 * is the {@link ChunkCachingSource} put in front of it.
 *
 * <p><b>Thread safety:</b> safe for concurrent use; reads hold no lock.
 */
public abstract sealed class RemoteByteSource implements ByteSource
    permits HttpByteSource, S3ByteSource {
  private final String name;
  private final long size;
  private final String validator;
  private final RemoteCounters counters = new RemoteCounters();
  private final LinkEstimate link = new LinkEstimate();
  private volatile boolean closed;

  /**
   * @param validator the server's ETag or Last-Modified for this version of the object, or null
   */
  RemoteByteSource(String name, long size, String validator) {
    this.name = name;
    this.size = size;
    this.validator = validator;
  }

  /**
   * Whether {@code spec} names a remote object ({@code http://}, {@code https://}, {@code s3://}).
   */
  public static boolean isRemote(String spec) {
    return isHttpUrl(spec) || isS3Url(spec);
  }

  // The schemes are told here rather than in HttpByteSource and S3ByteSource: a call to those
  // links their classes, and linking S3ByteSource loads the AWS SDK's — which cairn mount's slim
  // client (cairn-client.jar, no libraries) must not reach for a local snapshot.

  /** Whether {@code spec} is an {@code http://} or {@code https://} URL. */
  static boolean isHttpUrl(String spec) {
    return spec.startsWith("http://") || spec.startsWith("https://");
  }

  /** Whether {@code spec} is an {@code s3://} URL. */
  static boolean isS3Url(String spec) {
    return spec.startsWith("s3://");
  }

  /**
   * Opens the object {@code uri} names, by scheme, fetch-only: to read a snapshot, use {@link
   * RemoteObjects#open(URI)}.
   *
   * @throws java.nio.file.NoSuchFileException if the server says the object does not exist
   * @throws IllegalArgumentException if the scheme is not one of http, https, s3, or the URL lacks
   *     a part the scheme needs
   * @throws IOException if the object cannot be reached
   */
  public static RemoteByteSource open(URI uri) throws IOException {
    return open(uri, 0, RetryPolicy.ATTEMPTS);
  }

  /**
   * {@link #open(URI)} with attempts {@code from} to {@code to - 1} ({@link RetryPolicy#attempts}).
   */
  static RemoteByteSource open(URI uri, int from, int to) throws IOException {
    String scheme = uri.getScheme() == null ? "" : uri.getScheme();
    return switch (scheme) {
      case "http", "https" -> HttpByteSource.open(uri, from, to);
      case "s3" -> S3ByteSource.open(uri, from, to);
      default -> throw new IllegalArgumentException(uri + ": not an http(s) or s3 URL");
    };
  }

  /**
   * The name a source opened from {@code uri} would {@link #describe() describe} itself by (the URL
   * without credentials or query), or null if {@code uri} is not a usable remote URL.
   */
  static String nameOf(URI uri) {
    String scheme = uri.getScheme() == null ? "" : uri.getScheme();
    return switch (scheme) {
      case "http", "https" -> uri.getHost() == null ? null : HttpByteSource.describe(uri);
      case "s3" -> S3ByteSource.nameOf(uri);
      default -> null;
    };
  }

  @Override
  public final long size() {
    return size;
  }

  /**
   * The server's ETag or Last-Modified for the version of the object this source reads, or null if
   * it gave none; with the URL and size it tells versions apart in the disk cache.
   */
  final String validator() {
    return validator;
  }

  /**
   * Reads the range with one ranged request, repeated as {@link RetryPolicy} says while it fails in
   * a way another attempt may fix. Each attempt waits for the process's {@link RemoteLimits} (a
   * request slot, the bandwidth cap) and is measured into the {@link #link() link estimate}.
   */
  @Override
  public final void readFully(long position, ByteBuffer dst) throws IOException {
    readFully(position, new ByteBuffer[] {dst});
  }

  /**
   * Like {@link #readFully(long, ByteBuffer)} into several buffers in turn, as one ranged request:
   * the chunks of a run, each in its own array.
   */
  @Override
  public final void readFully(long position, ByteBuffer[] dsts) throws IOException {
    long total = 0;
    for (ByteBuffer b : dsts) {
      total += b.remaining();
    }
    if (total > Integer.MAX_VALUE) {
      throw new IllegalArgumentException("a request of " + total + " bytes");
    }
    int length = (int) total;
    RangeCheck.check(closed, name, size, position, length);
    if (length == 0) {
      return;
    }
    Scatter dst = new Scatter(dsts);
    RemoteLimits limits = RemoteLimits.shared();
    RetryPolicy.withRetries(
        () ->
            limits.request(
                length,
                () -> {
                  counters.request();
                  dst.rewind();
                  long sent = System.nanoTime();
                  long headers = fetch(position, dst);
                  long done = System.nanoTime();
                  link.observe(length, headers - sent, done - sent, limits.inUse());
                  return null;
                }));
    counters.fetched(length);
  }

  /** What the link to this object's server is measured to carry. */
  final LinkEstimate link() {
    return link;
  }

  /** The requests this source has sent and the bytes they brought; see {@link RemoteCounters}. */
  final RemoteCounters counting() {
    return counters;
  }

  /**
   * Reads exactly {@code dst.remaining()} bytes of the object at {@code position} (within its size)
   * with one ranged request, one attempt, bounded by {@link RetryPolicy#timeout()}; never takes
   * bytes from another place.
   *
   * @return {@link System#nanoTime()} when the response's headers came
   * @throws TransientException if another attempt may succeed
   */
  abstract long fetch(long position, Scatter dst) throws IOException;

  @Override
  public final String describe() {
    return name;
  }

  @Override
  public void close() {
    closed = true;
  }
}
