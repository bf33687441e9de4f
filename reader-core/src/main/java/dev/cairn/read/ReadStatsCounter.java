package dev.cairn.read;

/**
 * What the read path counts, one method per event (in the manner of Caffeine's {@code
 * StatsCounter}): {@link StreamReader} and {@link Prefetcher} record, reporting code reads an
 * immutable {@link ReadStatsSnapshot}. Implementations must be thread-safe and cheap, since every
 * method is called on the hot read path from many threads at once; {@link ReadStats} is the one the
 * tools use.
 */
public interface ReadStatsCounter {
  /**
   * One completed {@link StreamReader#read} call that returned {@code bytes} bytes and took {@code
   * nanos}, from the call to its return: waits for a remote fetch included, which is what a reader
   * of a mount feels.
   */
  void recordRead(int bytes, long nanos);

  /** A block served as zeros without touching storage. */
  void recordZeroBlock();

  /** A block found in the {@link BlockCache}. */
  void recordCacheHit();

  /** A block not found in the {@link BlockCache}. */
  void recordCacheMiss();

  /** A cache hit on a block that read-ahead loaded. */
  void recordPrefetchHit();

  /** {@code storedBytes} bytes of one stored block fetched from the byte source. */
  void recordFetch(int storedBytes);

  /**
   * One stored block read a second time because its first bytes failed their CRC32C and the byte
   * source dropped its copy of them.
   */
  void recordRefetch();

  /**
   * One block decoded from the checked stored bytes a verified snapshot kept ({@link
   * StoredBlocks}): nothing read from the byte source, nothing hashed.
   */
  void recordStoredHit();

  /** One block decompressed, taking {@code nanos}. */
  void recordDecompress(long nanos);

  /** Read-ahead loaded one block of {@code bytes} logical bytes into the cache. */
  void recordPrefetch(int bytes);

  /** One failed read (the caller reports and maps it). */
  void recordError();

  /** The counters now, as a value. */
  ReadStatsSnapshot snapshot();
}
