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
    return HttpByteSource.isUrl(spec) || S3ByteSource.isUrl(spec);
  }

  /**
   * Opens the object {@code uri} names, by scheme, fetch-only: to read a snapshot, use {@link
   * ChunkCachingSource#open(URI)}.
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

  /**
   * The server's ETag or Last-Modified for the version of the object this source reads, or null if
   * it gave none; with the URL and size it tells versions apart in the disk cache.
   */
  final String validator() {
    return validator;
  }

  /**
   * Reads the range with one ranged request, repeated as {@link RetryPolicy} says while it fails in
   * a way another attempt may fix.
   */
  @Override
  public final void readFully(long position, ByteBuffer dst) throws IOException {
    int length = dst.remaining();
    RangeCheck.check(closed, name, size, position, length);
    if (length == 0) {
      return;
    }
    int start = dst.position();
    RetryPolicy.withRetries(
        () -> {
          counters.request();
          dst.position(start);
          fetch(position, dst);
          return null;
        });
    counters.fetched(length);
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
   * @throws TransientException if another attempt may succeed
   */
  abstract void fetch(long position, ByteBuffer dst) throws IOException;

  @Override
  public final String describe() {
    return name;
  }

  @Override
  public void close() {
    closed = true;
  }
}
