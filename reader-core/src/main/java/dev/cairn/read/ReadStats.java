package dev.cairn.read;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

/**
 * Live counters of a reader, shown in a mount's {@code .cairn/stats.json}. Thread-safe: every field
 * is a {@link LongAdder}, cheap to bump from many threads at once.
 */
public final class ReadStats {
  final LongAdder reads = new LongAdder();
  final LongAdder bytesRead = new LongAdder();
  final LongAdder blocksDecompressed = new LongAdder();
  final LongAdder storedBytesFetched = new LongAdder();
  final LongAdder cacheHits = new LongAdder();
  final LongAdder cacheMisses = new LongAdder();
  final LongAdder zeroBlocks = new LongAdder();
  final LongAdder errors = new LongAdder();
  final LongAdder decompressNanos = new LongAdder();
  final LongAdder prefetchBlocks = new LongAdder();
  final LongAdder prefetchBytes = new LongAdder();
  final LongAdder prefetchHits = new LongAdder();

  /** Counts one failed read (the caller reports and maps it). */
  public void recordError() {
    errors.increment();
  }

  public long errors() {
    return errors.sum();
  }

  public long reads() {
    return reads.sum();
  }

  public long bytesRead() {
    return bytesRead.sum();
  }

  public long blocksDecompressed() {
    return blocksDecompressed.sum();
  }

  /** A consistent-enough copy of every counter, in a stable order, for reporting. */
  public Map<String, Object> snapshot() {
    long hits = cacheHits.sum();
    long misses = cacheMisses.sum();
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("reads", reads.sum());
    m.put("bytes_read", bytesRead.sum());
    m.put("blocks_decompressed", blocksDecompressed.sum());
    m.put("stored_bytes_fetched", storedBytesFetched.sum());
    m.put("zero_blocks", zeroBlocks.sum());
    m.put("cache_hits", hits);
    m.put("cache_misses", misses);
    m.put("cache_hit_ratio", hits + misses == 0 ? 0.0 : (double) hits / (hits + misses));
    m.put("decompress_ms", decompressNanos.sum() / 1_000_000);
    long prefetched = prefetchBlocks.sum();
    long used = prefetchHits.sum();
    m.put("prefetch_blocks", prefetched);
    m.put("prefetch_bytes", prefetchBytes.sum());
    m.put("prefetch_hits", used);
    m.put(
        "prefetch_unused_bytes",
        prefetched == 0 ? 0 : prefetchBytes.sum() / prefetched * Math.max(0, prefetched - used));
    m.put("errors", errors.sum());
    return m;
  }
}
