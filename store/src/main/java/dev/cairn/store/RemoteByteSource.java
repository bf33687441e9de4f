package dev.cairn.store;

import java.io.EOFException;
import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * A {@link ByteSource} over an object behind a network API that reads byte ranges: an HTTP(S)
 * server ({@link HttpByteSource}) or S3 ({@link S3ByteSource}). The variants are closed: one per
 * URL scheme, chosen by {@link #open(URI)}.
 *
 * <p>A request costs far more than the bytes it carries, so small reads (one stored block) are
 * served from whole {@value #CHUNK}-byte chunks of the object, of which the last {@value #CHUNKS}
 * are kept in memory and, unless turned off, on local disk ({@link DiskChunkCache}), so that every
 * later process reading the same object version gets them without a request; larger reads go out as
 * one ranged request each. Subclasses only fetch exact ranges.
 *
 * <p><b>Thread safety:</b> safe for concurrent use. Concurrent readers of the same chunk wait for
 * one fetch instead of each fetching it.
 */
public abstract sealed class RemoteByteSource implements ByteSource
    permits HttpByteSource, S3ByteSource {
  static final int CHUNK = 1 << 20;
  private static final int CHUNKS = 16;

  private final String name;
  private final long size;
  private final AtomicReferenceArray<Chunk> chunks = new AtomicReferenceArray<>(CHUNKS);
  private final Object[] slotLocks = new Object[CHUNKS];
  private final DiskChunkCache disk;
  private volatile boolean closed;

  /**
   * @param validator the server's ETag or Last-Modified for this version of the object, or null
   */
  RemoteByteSource(String name, long size, String validator) {
    this.name = name;
    this.size = size;
    this.disk = DiskChunkCache.forObject(name, size, validator);
    for (int i = 0; i < CHUNKS; i++) {
      slotLocks[i] = new Object();
    }
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
    long chunk = position / CHUNK;
    if (length <= CHUNK && (position + length - 1) / CHUNK == chunk) {
      byte[] data = chunk(chunk);
      dst.put(data, (int) (position - chunk * CHUNK), length);
      return;
    }
    fetch(position, dst);
  }

  /**
   * Reads exactly {@code dst.remaining()} bytes of the object at {@code position} (within its size)
   * with one ranged request, retrying transient failures; never takes bytes from another place.
   */
  abstract void fetch(long position, ByteBuffer dst) throws IOException;

  /** Chunk {@code index} of the object ({@link #CHUNK} bytes, or fewer at the end), cached. */
  private byte[] chunk(long index) throws IOException {
    int slot = (int) (index % CHUNKS);
    Chunk c = chunks.get(slot);
    if (c != null && c.index() == index) {
      return c.data();
    }
    synchronized (slotLocks[slot]) {
      c = chunks.get(slot);
      if (c != null && c.index() == index) {
        return c.data();
      }
      long start = index * CHUNK;
      int length = (int) Math.min(CHUNK, size - start);
      byte[] data = disk == null ? null : disk.get(index, length);
      if (data == null) {
        ByteBuffer b = ByteBuffer.allocate(length);
        fetch(start, b);
        data = b.array();
        if (disk != null) {
          disk.put(index, data);
        }
      }
      chunks.set(slot, new Chunk(index, data));
      return data;
    }
  }

  /** One cached chunk of the object. */
  private record Chunk(long index, byte[] data) {}

  @Override
  public final String describe() {
    return name;
  }

  @Override
  public void close() {
    closed = true;
  }
}
