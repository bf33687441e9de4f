package dev.cairn.delta;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class LongLongMapTest {

  @ParameterizedTest
  @ValueSource(longs = {1, 2, 3, 4, 5, 6, 7, 8})
  void randomOperationsMatchHashMap(long seed) {
    Random r = new Random(seed);
    LongLongMap m = new LongLongMap();
    Map<Long, Long> model = new HashMap<>();
    // Small key ranges make collisions, removals of present keys and re-insertions frequent;
    // the consecutive range is the overlay's common case.
    int range = seed % 2 == 0 ? 5000 : 1 << 20;
    for (int i = 0; i < 200_000; i++) {
      long k = seed % 3 == 0 ? r.nextInt(range) : (long) r.nextInt(range) * 4096;
      switch (r.nextInt(5)) {
        case 0, 1, 2 -> {
          long v = r.nextLong();
          assertEquals(!model.containsKey(k), m.put(k, v));
          model.put(k, v);
        }
        case 3 -> assertEquals(model.remove(k) != null, m.remove(k));
        default -> assertEquals(model.getOrDefault(k, -7L), m.get(k, -7));
      }
      if (i % 10_000 == 0) {
        check(m, model);
      }
    }
    check(m, model);
  }

  private static void check(LongLongMap m, Map<Long, Long> model) {
    assertEquals(model.size(), m.size());
    for (Map.Entry<Long, Long> e : model.entrySet()) {
      assertEquals(e.getValue(), m.get(e.getKey(), -7), "key " + e.getKey());
    }
    int n = 0;
    LongLongMap.Cursor c = m.cursor();
    while (c.next()) {
      assertEquals(model.get(c.key()), c.value());
      n++;
    }
    assertEquals(model.size(), n);
  }

  @Test
  void removeEverythingThenReuse() {
    LongLongMap m = new LongLongMap();
    for (long k = 0; k < 100_000; k++) {
      m.put(k, k * 3);
    }
    for (long k = 0; k < 100_000; k += 2) {
      assertTrue(m.remove(k));
    }
    for (long k = 1; k < 100_000; k += 2) {
      assertEquals(k * 3, m.get(k, -1));
      assertFalse(m.containsKey(k - 1));
    }
    for (long k = 1; k < 100_000; k += 2) {
      assertTrue(m.remove(k));
    }
    assertEquals(0, m.size());
    m.put(42, 1);
    assertEquals(1, m.get(42, -1));
  }

  @Test
  void copyIsIndependentAndEqual() {
    LongLongMap m = new LongLongMap();
    for (long k = 0; k < 1000; k++) {
      m.put(k * 7, k);
    }
    LongLongMap c = m.copy();
    assertEquals(m, c);
    assertEquals(m.hashCode(), c.hashCode());
    m.put(1, 1);
    assertNotEquals(m, c);
    assertFalse(c.containsKey(1));
  }

  @Test
  void sortedKeys() {
    LongLongMap m = new LongLongMap(3);
    m.put(30, 0);
    m.put(10, 0);
    m.put(20, 0);
    m.put(Long.MAX_VALUE, 0);
    assertArrayEquals(new long[] {10, 20, 30, Long.MAX_VALUE}, m.sortedKeys());
  }

  @Test
  void negativeKeysAreRefused() {
    LongLongMap m = new LongLongMap();
    assertThrows(IllegalArgumentException.class, () -> m.put(-1, 0));
    assertFalse(m.remove(-1));
    assertEquals(5, m.get(-1, 5));
  }
}
