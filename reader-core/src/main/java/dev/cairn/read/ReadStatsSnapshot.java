package dev.cairn.read;

/**
 * The read counters at one moment (in the manner of Caffeine's {@code CacheStats}), shown in a
 * mount's {@code .cairn/stats.json}. Immutable.
 *
 * @param reads completed {@link StreamReader#read} calls
 * @param bytesRead logical bytes those calls returned
 * @param blocksDecompressed blocks decompressed
 * @param storedBytesFetched stored (compressed) bytes read from the byte source
 * @param zeroBlocks blocks served as zeros
 * @param cacheHits blocks found in the block cache
 * @param cacheMisses blocks not found in the block cache
 * @param decompressNanos time spent decompressing
 * @param prefetchBlocks blocks read-ahead loaded
 * @param prefetchBytes logical bytes of those blocks
 * @param prefetchHits foreground cache hits on read-ahead blocks
 * @param errors failed reads
 * @param refetches stored blocks read again after their first bytes failed the CRC32C check
 */
public record ReadStatsSnapshot(
    long reads,
    long bytesRead,
    long blocksDecompressed,
    long storedBytesFetched,
    long zeroBlocks,
    long cacheHits,
    long cacheMisses,
    long decompressNanos,
    long prefetchBlocks,
    long prefetchBytes,
    long prefetchHits,
    long errors,
    long refetches) {

  /** Every counter zero. */
  public static final ReadStatsSnapshot EMPTY =
      new ReadStatsSnapshot(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);

  /** Hits over lookups; 0 before the first lookup. */
  public double cacheHitRatio() {
    long lookups = cacheHits + cacheMisses;
    return lookups == 0 ? 0.0 : (double) cacheHits / lookups;
  }

  /** Time spent decompressing, in whole milliseconds. */
  public long decompressMillis() {
    return decompressNanos / 1_000_000;
  }

  /** An estimate of the read-ahead bytes no foreground read used (average block size × unused). */
  public long prefetchUnusedBytes() {
    return prefetchBlocks == 0
        ? 0
        : prefetchBytes / prefetchBlocks * Math.max(0, prefetchBlocks - prefetchHits);
  }
}
