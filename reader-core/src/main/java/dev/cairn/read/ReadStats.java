package dev.cairn.read;

import java.util.concurrent.atomic.LongAdder;

/**
 * The live read counters of a mount or a tool run: a {@link ReadStatsCounter} over {@link
 * LongAdder}s, shared by every snapshot of a chain. Thread-safe: cheap to bump from many threads at
 * once; a {@link #snapshot()} taken while reads run is consistent per counter, not across them.
 */
public final class ReadStats implements ReadStatsCounter {
  private final LongAdder reads = new LongAdder();
  private final LongAdder bytesRead = new LongAdder();
  private final LongAdder readNanos = new LongAdder();
  private final LongAdder slowReads = new LongAdder();
  private final LongAdder slowReadNanos = new LongAdder();
  private final LongAdder blocksDecompressed = new LongAdder();
  private final LongAdder storedBytesFetched = new LongAdder();
  private final LongAdder zeroBlocks = new LongAdder();
  private final LongAdder cacheHits = new LongAdder();
  private final LongAdder cacheMisses = new LongAdder();
  private final LongAdder decompressNanos = new LongAdder();
  private final LongAdder prefetchBlocks = new LongAdder();
  private final LongAdder prefetchBytes = new LongAdder();
  private final LongAdder prefetchHits = new LongAdder();
  private final LongAdder errors = new LongAdder();
  private final LongAdder refetches = new LongAdder();
  private final LongAdder storedHits = new LongAdder();

  @Override
  public void recordRead(int bytes, long nanos) {
    reads.increment();
    bytesRead.add(bytes);
    readNanos.add(nanos);
    if (nanos >= ReadStatsSnapshot.SLOW_READ_NANOS) {
      slowReads.increment();
      slowReadNanos.add(nanos);
    }
  }

  @Override
  public void recordZeroBlock() {
    zeroBlocks.increment();
  }

  @Override
  public void recordCacheHit() {
    cacheHits.increment();
  }

  @Override
  public void recordCacheMiss() {
    cacheMisses.increment();
  }

  @Override
  public void recordPrefetchHit() {
    prefetchHits.increment();
  }

  @Override
  public void recordFetch(int storedBytes) {
    storedBytesFetched.add(storedBytes);
  }

  @Override
  public void recordRefetch() {
    refetches.increment();
  }

  @Override
  public void recordStoredHit() {
    storedHits.increment();
  }

  @Override
  public void recordDecompress(long nanos) {
    decompressNanos.add(nanos);
    blocksDecompressed.increment();
  }

  @Override
  public void recordPrefetch(int bytes) {
    prefetchBlocks.increment();
    prefetchBytes.add(bytes);
  }

  @Override
  public void recordError() {
    errors.increment();
  }

  @Override
  public ReadStatsSnapshot snapshot() {
    return new ReadStatsSnapshot(
        reads.sum(),
        bytesRead.sum(),
        readNanos.sum(),
        slowReads.sum(),
        slowReadNanos.sum(),
        blocksDecompressed.sum(),
        storedBytesFetched.sum(),
        zeroBlocks.sum(),
        cacheHits.sum(),
        cacheMisses.sum(),
        decompressNanos.sum(),
        prefetchBlocks.sum(),
        prefetchBytes.sum(),
        prefetchHits.sum(),
        errors.sum(),
        refetches.sum(),
        storedHits.sum());
  }
}
