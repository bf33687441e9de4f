package dev.cairn.delta;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;

/** What a manifest should hold: a plain map and attributes, changed alongside the real one. */
final class ManifestModel {
  final Map<Long, Long> map = new HashMap<>();
  final long[] attributes = new long[Manifest.ATTRIBUTES];

  ManifestModel copy() {
    ManifestModel c = new ManifestModel();
    c.map.putAll(map);
    System.arraycopy(attributes, 0, c.attributes, 0, attributes.length);
    return c;
  }

  /** One random change, applied to both. */
  void randomChange(Manifest m, Random r, int keyRange) {
    int op = r.nextInt(10);
    long k = r.nextInt(keyRange);
    if (op < 7) {
      long v = r.nextLong();
      m.put(k, v);
      map.put(k, v);
    } else if (op < 9) {
      m.remove(k);
      map.remove(k);
    } else {
      int id = r.nextInt(Manifest.ATTRIBUTES);
      long v = r.nextLong();
      m.setAttribute(id, v);
      attributes[id] = v;
    }
  }

  void assertMatches(Manifest m, String where) {
    LongLongMap got = m.copy();
    assertEquals(map.size(), got.size(), where + ": size");
    for (Map.Entry<Long, Long> e : map.entrySet()) {
      assertEquals(
          e.getValue(), got.get(e.getKey(), Long.MIN_VALUE), where + ": key " + e.getKey());
    }
    assertArrayEquals(attributes, m.attributes(), where + ": attributes");
  }

  void assertMatchesOnDisk(java.nio.file.Path dir, String where) throws IOException {
    assertMatchesOnDisk(dir, RecordCipher.NONE, where);
  }

  void assertMatchesOnDisk(java.nio.file.Path dir, RecordCipher cipher, String where)
      throws IOException {
    try (Manifest m = Manifest.open(dir, cipher)) {
      assertMatches(m, where);
    }
  }
}
