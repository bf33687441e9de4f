package dev.cairn.read;

/**
 * The read counters at one moment (in the manner of Caffeine's {@code CacheStats}), shown in a
 * mount's {@code .cairn/stats.json}. Immutable.
 *
 * @param reads completed {@link StreamReader#read} calls
 * @param bytesRead logical bytes those calls returned
 * @param readNanos the time those calls took, each from its call to its return (waits for the
 *     source included)
 * @param slowReads those of the calls that took {@link #SLOW_READ_NANOS} or longer: reads that
 *     waited for a fetch, as a rule
 * @param slowReadNanos the time the slow reads took
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
 * @param storedHits blocks decoded from checked stored bytes a verified snapshot kept ({@link
 *     StoredBlocks}), without reading the byte source
 */
public record ReadStatsSnapshot(
    long reads,
    long bytesRead,
    long readNanos,
    long slowReads,
    long slowReadNanos,
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
    long refetches,
    long storedHits) {

  /**
   * A read at least this long counts as slow: 10 ms, longer than decoding any block takes and
   * shorter than a round trip to a server across a network.
   */
  public static final long SLOW_READ_NANOS = 10_000_000L;

  /** Every counter zero. */
  public static final ReadStatsSnapshot EMPTY =
      new ReadStatsSnapshot(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);

  /** Time spent in reads, in whole milliseconds. */
  public long readMillis() {
    return readNanos / 1_000_000;
  }

  /** Time spent in slow reads, in whole milliseconds. */
  public long slowReadMillis() {
    return slowReadNanos / 1_000_000;
  }

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
