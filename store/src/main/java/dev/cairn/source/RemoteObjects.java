package dev.cairn.source;

import dev.cairn.config.Tuning;
import dev.cairn.error.RemoteUnavailableException;
import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.time.Instant;

/**
 * Opening a remote object to read: online, behind a {@link ChunkCachingSource} and its disk cache;
 * or, when the server is unreachable and the disk cache holds every chunk of the version it last
 * saw, from the disk cache alone (one line on stderr says so, {@link OfflineNotices}), after the
 * first failed attempt rather than after all of {@link RetryPolicy}'s; or a failure, after them
 * all, that says how much is missing and what to do.
 *
 * <p>Stateless; thread-safe.
 */
public final class RemoteObjects {
  private RemoteObjects() {}

  /**
   * Opens the remote object {@code uri} names ({@link RemoteByteSource#open(URI)}) behind a chunk
   * cache: the way to read a snapshot over the network. If the server is unreachable and the disk
   * cache holds every chunk of the version it last saw, reads that version from the disk cache.
   *
   * @throws java.nio.file.NoSuchFileException if the server says the object does not exist
   * @throws IllegalArgumentException if the scheme is not one of http, https, s3, or the URL lacks
   *     a part the scheme needs
   * @throws RemoteUnavailableException if the server is unreachable and the disk cache does not
   *     hold the whole object (the message says how much is missing and what to do)
   * @throws IOException if the object cannot be reached
   */
  public static ChunkCachingSource open(URI uri) throws IOException {
    RemoteByteSource fetcher;
    try {
      fetcher = RemoteByteSource.open(uri, 0, 1);
    } catch (RemoteUnavailableException first) {
      // A disk cache that holds the whole object spares the retries: the version it holds is what
      // would be read after them too, should the server stay away.
      DiskChunkCache whole = recordedWhole(uri);
      if (whole != null) {
        return fromCache(RemoteByteSource.nameOf(uri), whole, first);
      }
      try {
        fetcher = RemoteByteSource.open(uri, 1, RetryPolicy.ATTEMPTS);
      } catch (RemoteUnavailableException e) {
        return fromCacheOnly(uri, e);
      }
    }
    return ChunkCachingSource.of(fetcher);
  }

  /** The disk cache of the version of {@code uri} last seen, if it holds every chunk; else null. */
  private static DiskChunkCache recordedWhole(URI uri) {
    String name = RemoteByteSource.nameOf(uri);
    if (name == null || CacheRoot.configured() == null) {
      return null;
    }
    DiskChunkCache disk = DiskChunkCache.recorded(name);
    return disk != null && disk.missingBytes() == 0 ? disk : null;
  }

  /**
   * {@link #open(URI)} for an object its reader opens from both ends at once, as a snapshot is
   * opened (its header at the start, its footer and index at the end): the last chunk starts
   * loading now, so that the two round trips overlap.
   */
  public static ChunkCachingSource openBothEnds(URI uri) throws IOException {
    ChunkCachingSource source = open(uri);
    source.startLoadingLastChunk();
    return source;
  }

  /** The object from the disk cache alone, or the failure {@code unreachable} made clear. */
  private static ChunkCachingSource fromCacheOnly(URI uri, RemoteUnavailableException unreachable)
      throws IOException {
    String name = RemoteByteSource.nameOf(uri);
    if (name == null || CacheRoot.configured() == null) {
      throw unreachable; // no disk cache: nothing to offer
    }
    DiskChunkCache disk = DiskChunkCache.recorded(name);
    if (disk == null) {
      throw new RemoteUnavailableException(
          unreachable.getMessage()
              + "; the disk cache holds nothing of it (run cairn fetch "
              + name
              + " while the server is reachable)",
          unreachable);
    }
    ObjectRecord o = disk.object();
    long missing = disk.missingBytes();
    if (missing > 0) {
      throw new RemoteUnavailableException(
          unreachable.getMessage()
              + "; the disk cache holds "
              + percent(o.size() - missing, o.size())
              + " % of it ("
              + mib(missing)
              + " MiB missing): run cairn fetch "
              + name
              + " while the server is reachable",
          unreachable);
    }
    return fromCache(name, disk, unreachable);
  }

  /** The object from {@code disk}, which holds all of it, its server being {@code unreachable}. */
  private static ChunkCachingSource fromCache(
      String name, DiskChunkCache disk, RemoteUnavailableException unreachable) throws IOException {
    ObjectRecord o = disk.object();
    OfflineNotices.say(
        "cairn: "
            + name
            + " is unreachable; reading it from the disk cache in "
            + disk.folder()
            + " (the version of "
            + Instant.ofEpochMilli(o.recordedMillis())
            + ": "
            + o.size()
            + " bytes, "
            + (o.validator() == null ? "no validator" : "validator " + o.validator())
            + ")");
    RemoteCounters counters = new RemoteCounters();
    return new ChunkCachingSource(
        new Unreachable(name, o.size(), unreachable.getMessage()),
        disk,
        counters,
        RemoteLimits.shared(),
        null,
        new ReadAheadWindow(0, 0),
        Tuning.current().remoteSequentialBytes(),
        false);
  }

  private static String percent(long part, long whole) {
    return whole == 0 ? "100" : String.format(java.util.Locale.ROOT, "%.1f", 100.0 * part / whole);
  }

  static String mib(long bytes) {
    return String.format(java.util.Locale.ROOT, "%.1f", bytes / 1048576.0);
  }

  /**
   * The inner source of an object read from the disk cache alone while its server is unreachable:
   * any read that reaches it (a chunk evicted meanwhile) fails saying so.
   */
  private record Unreachable(String name, long size, String why) implements ByteSource {
    @Override
    public void readFully(long position, ByteBuffer dst) throws IOException {
      throw new RemoteUnavailableException(
          why + "; bytes " + position + "+" + dst.remaining() + " are no longer in the disk cache",
          null);
    }

    @Override
    public String describe() {
      return name;
    }

    @Override
    public void close() {}
  }
}
