package dev.cairn.mount;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.cairn.read.BlockCache;
import org.junit.jupiter.api.Test;

class CacheBudgetTest {
  private static final long MIB = 1 << 20;

  @Test
  void everyMountGetsItsCacheSizeWhileTheyFitTheBudget() {
    CacheBudget b = new CacheBudget(1024 * MIB);
    BlockCache a = BlockCache.withCapacity(256 * MIB);
    BlockCache c = BlockCache.withCapacity(512 * MIB);
    b.add(a, 256 * MIB);
    b.add(c, 512 * MIB);
    assertEquals(256 * MIB, a.capacity());
    assertEquals(512 * MIB, c.capacity());
  }

  @Test
  void capsShrinkInProportionWhenTheyExceedTheBudgetAndGrowBackWhenMountsGo() {
    CacheBudget b = new CacheBudget(1024 * MIB);
    BlockCache[] caches = new BlockCache[8];
    for (int i = 0; i < caches.length; i++) {
      caches[i] = BlockCache.withCapacity(256 * MIB);
      b.add(caches[i], 256 * MIB);
    }
    long sum = 0;
    for (BlockCache c : caches) {
      assertEquals(128 * MIB, c.capacity(), "8 x 256M share 1G: half each");
      sum += c.capacity();
    }
    assertEquals(1024 * MIB, sum);
    for (int i = 0; i < 6; i++) {
      b.remove(caches[i]);
    }
    assertEquals(256 * MIB, caches[6].capacity(), "back to its own --cache-size");
    assertEquals(256 * MIB, caches[7].capacity());
    b.remove(caches[6]);
    b.remove(caches[6]); // twice: harmless
    assertEquals(256 * MIB, caches[7].capacity(), "never above its own --cache-size");
  }

  @Test
  void aTinyShareIsStillOneMebibyte() {
    assertEquals(MIB, CacheBudget.cap(MIB, 1 << 40, 64 * MIB));
    assertEquals(300, CacheBudget.cap(300, 300, 300));
    assertEquals(512 * MIB, CacheBudget.cap(1024 * MIB, 2048 * MIB, 1024 * MIB));
  }
}
