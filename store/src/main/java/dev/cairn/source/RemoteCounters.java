package dev.cairn.source;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

/**
 * What one remote object's reads have cost since it was opened, as {@code stats.json} reports it:
 * ranged requests sent, retries included ({@code requests}), the bytes they brought ({@code
 * bytes_fetched}) and chunks served from the local disk cache instead ({@code disk_cache_chunks}).
 * The fetching source counts the first two, the {@link ChunkCachingSource} in front of it the
 * third. Opening costs one more request (size and version), not counted.
 *
 * <p>Thread-safe: counting never blocks.
 */
final class RemoteCounters {
  private final LongAdder requests = new LongAdder();
  private final LongAdder fetchedBytes = new LongAdder();
  private final LongAdder diskChunks = new LongAdder();

  void request() {
    requests.increment();
  }

  void fetched(long bytes) {
    fetchedBytes.add(bytes);
  }

  void diskChunk() {
    diskChunks.increment();
  }

  /** The counts now, under their {@code stats.json} names, in a fixed order. */
  Map<String, Long> snapshot() {
    Map<String, Long> m = new LinkedHashMap<>();
    m.put("requests", requests.sum());
    m.put("bytes_fetched", fetchedBytes.sum());
    m.put("disk_cache_chunks", diskChunks.sum());
    return m;
  }
}
