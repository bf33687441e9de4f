package dev.cairn.read;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Loads into the block cache: once per block, and none waits on another block's load. */
@Timeout(value = 30, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class BlockCacheTest {

  /**
   * A load that never finishes (a stalled server) holds up no other block's miss; inside Caffeine's
   * compute it locked its hash bin, and one of 256 neighbours always shared it.
   */
  @Test
  void aStalledLoadHoldsUpNoOtherBlock() throws Exception {
    BlockCache cache = BlockCache.withCapacity(64L << 20);
    CountDownLatch release = new CountDownLatch(1);
    CountDownLatch started = new CountDownLatch(1);
    CompletableFuture<ByteBuffer> stalled =
        CompletableFuture.supplyAsync(
            () ->
                cache.get(
                    0L,
                    k -> {
                      started.countDown();
                      try {
                        release.await();
                      } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                      }
                      return ByteBuffer.allocate(1);
                    }));
    started.await();
    CompletableFuture<Void> others =
        CompletableFuture.runAsync(
            () -> {
              for (long k = 1; k <= 256; k++) {
                long key = k;
                assertEquals(
                    key, cache.get(key, x -> ByteBuffer.allocate(8).putLong(0, key)).getLong(0));
              }
            });
    try {
      others.get(5, TimeUnit.SECONDS);
      assertFalse(stalled.isDone());
    } finally {
      release.countDown();
    }
    assertEquals(1, stalled.get(5, TimeUnit.SECONDS).capacity());
  }

  @Test
  void concurrentMissesOfOneBlockLoadItOnceAndShareAFailure() throws Exception {
    BlockCache cache = BlockCache.withCapacity(1 << 20);
    AtomicInteger loads = new AtomicInteger();
    CountDownLatch release = new CountDownLatch(1);
    ByteBuffer value = ByteBuffer.allocate(4);
    CompletableFuture<ByteBuffer> first =
        CompletableFuture.supplyAsync(
            () ->
                cache.get(
                    7L,
                    k -> {
                      loads.incrementAndGet();
                      try {
                        release.await();
                      } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                      }
                      return value;
                    }));
    while (loads.get() == 0) {
      Thread.sleep(1);
    }
    CompletableFuture<ByteBuffer> second =
        CompletableFuture.supplyAsync(
            () ->
                cache.get(
                    7L,
                    k -> {
                      loads.incrementAndGet();
                      return ByteBuffer.allocate(4);
                    }));
    Thread.sleep(100);
    release.countDown();
    assertSame(value, first.get(5, TimeUnit.SECONDS));
    assertSame(value, second.get(5, TimeUnit.SECONDS));
    assertEquals(1, loads.get());

    UncheckedBlockException failure =
        new UncheckedBlockException(new java.io.IOException("server gone"));
    assertSame(
        failure,
        assertThrows(
            UncheckedBlockException.class,
            () ->
                cache.get(
                    8L,
                    k -> {
                      throw failure;
                    })));
    assertEquals(
        2, cache.get(8L, k -> ByteBuffer.allocate(2)).capacity(), "a failure is not cached");
  }

  @Test
  void aSmallerCapacityEvictsDownToItAtOnceAndALargerOneLetsItGrow() {
    BlockCache cache = BlockCache.withCapacity(64L << 20);
    for (long k = 0; k < 32; k++) {
      cache.get(k, x -> ByteBuffer.allocate(1 << 20));
    }
    assertTrue(cache.weightedSize() >= 32L << 20, "all 32 blocks held: " + cache.weightedSize());
    cache.setCapacity(8L << 20);
    assertEquals(8L << 20, cache.capacity());
    assertTrue(cache.weightedSize() <= 8L << 20, "evicted at once: " + cache.weightedSize());
    cache.setCapacity(64L << 20);
    for (long k = 100; k < 132; k++) {
      cache.get(k, x -> ByteBuffer.allocate(1 << 20));
    }
    assertTrue(cache.weightedSize() >= 32L << 20, "grew again: " + cache.weightedSize());
  }

  /**
   * Once a verified snapshot asks for the stored part, the budget is shared: both parts count in
   * the cache's size, and a smaller budget shrinks both.
   */
  @Test
  void storedBytesOfVerifiedSnapshotsShareTheBudget() {
    BlockCache cache = BlockCache.withCapacity(1 << 20);
    StoredBlocks stored = cache.storedBlocks();
    assertSame(stored, cache.storedBlocks());
    for (long k = 0; k < 64; k++) {
      stored.put(k, ByteBuffer.allocate(16 << 10));
      cache.get(1000 + k, x -> ByteBuffer.allocate(16 << 10));
    }
    // 1 MiB in all: the stored part 0.9 MiB (57 entries of 16 KiB + 64), the decoded part 0.1 MiB
    long decoded = cache.weightedSize() - stored.weightedSize();
    assertTrue(stored.weightedSize() > 800 << 10, "stored " + stored.weightedSize());
    assertTrue(stored.weightedSize() <= (long) ((1 << 20) * BlockCache.STORED_SHARE));
    assertTrue(decoded > 0 && decoded <= (1 << 20) - (long) ((1 << 20) * BlockCache.STORED_SHARE));
    cache.setCapacity(256 << 10);
    assertTrue(cache.weightedSize() <= 256 << 10, "size " + cache.weightedSize());
    assertTrue(stored.weightedSize() > 128 << 10, "stored " + stored.weightedSize());
    int held = 0;
    for (long k = 0; k < 64; k++) {
      byte[] b = stored.get(k);
      if (b != null) {
        assertEquals(16 << 10, b.length);
        held++;
      }
    }
    assertEquals(stored.weightedSize(), held * ((16L << 10) + 64));
  }

  @Test
  void readLatelyRemembersTheLastKeysItWasAskedAbout() {
    BlockCache cache = BlockCache.withCapacity(1 << 20);
    assertFalse(cache.readLately(0));
    assertTrue(cache.readLately(0));
    for (long k = 1; k < BlockCache.LATELY; k++) {
      assertFalse(cache.readLately(k));
    }
    assertTrue(cache.readLately(0), "still among the last " + BlockCache.LATELY);
    assertFalse(cache.readLately(-2 + (1L << 40)));
    assertFalse(cache.readLately(0), "pushed out by one more");
  }
}
