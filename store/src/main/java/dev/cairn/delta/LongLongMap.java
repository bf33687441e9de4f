package dev.cairn.delta;

import java.util.Arrays;

/**
 * A map from non-negative {@code long} keys to {@code long} values: open addressing with linear
 * probing over two primitive arrays, so an entry costs 16 bytes per slot and no object. A 64 GiB
 * image at 4 KiB chunks has 16 M chunks; as boxed {@code HashMap} entries that would be about 1.3
 * GiB, here it is 256–512 MiB. Keys are spread with Fibonacci hashing, so runs of consecutive chunk
 * indices (the common case) do not cluster; removal shifts the following entries back instead of
 * leaving tombstones, so lookups never slow down after many removals.
 *
 * <p><b>Thread safety:</b> not thread-safe; the owner synchronises.
 */
public final class LongLongMap {
  private static final long EMPTY = -1;
  private static final int MIN_CAPACITY = 16;
  private static final int MAX_CAPACITY = 1 << 30;
  private static final long GOLDEN = 0x9E3779B97F4A7C15L;

  private long[] keys;
  private long[] values;
  private int size;
  private int mask;
  private int shift;
  private int growAt;

  /** An empty map. */
  public LongLongMap() {
    this(0);
  }

  /** An empty map that holds {@code expected} entries without growing. */
  public LongLongMap(long expected) {
    allocate(capacityFor(expected));
  }

  private LongLongMap(LongLongMap other) {
    keys = other.keys.clone();
    values = other.values.clone();
    size = other.size;
    mask = other.mask;
    shift = other.shift;
    growAt = other.growAt;
  }

  private static int capacityFor(long expected) {
    long c = MIN_CAPACITY;
    // Load factor 3/4: probes stay short, and the arrays at most double the payload.
    while (c * 3 / 4 < expected) {
      c <<= 1;
      if (c > MAX_CAPACITY) {
        throw new IllegalArgumentException("too many entries: " + expected);
      }
    }
    return (int) c;
  }

  private void allocate(int capacity) {
    keys = new long[capacity];
    Arrays.fill(keys, EMPTY);
    values = new long[capacity];
    mask = capacity - 1;
    shift = 64 - Integer.numberOfTrailingZeros(capacity);
    growAt = capacity / 4 * 3;
  }

  private int home(long key) {
    return (int) ((key * GOLDEN) >>> shift);
  }

  /** The slot holding {@code key}, or the empty slot where it would go (as {@code -slot - 1}). */
  private int find(long key) {
    int i = home(key);
    while (true) {
      long k = keys[i];
      if (k == key) {
        return i;
      }
      if (k == EMPTY) {
        return -i - 1;
      }
      i = (i + 1) & mask;
    }
  }

  private static void checkKey(long key) {
    if (key < 0) {
      throw new IllegalArgumentException("negative key " + key);
    }
  }

  /** The number of entries. */
  public int size() {
    return size;
  }

  public boolean containsKey(long key) {
    return key >= 0 && find(key) >= 0;
  }

  /** The value of {@code key}, or {@code absent} if there is none. */
  public long get(long key, long absent) {
    if (key < 0) {
      return absent;
    }
    int i = find(key);
    return i >= 0 ? values[i] : absent;
  }

  /**
   * Maps {@code key} (non-negative) to {@code value}.
   *
   * @return true if the key was not in the map before
   */
  public boolean put(long key, long value) {
    checkKey(key);
    int i = find(key);
    if (i >= 0) {
      values[i] = value;
      return false;
    }
    if (size >= growAt) {
      rehash(keys.length << 1);
      i = find(key);
    }
    i = -i - 1;
    keys[i] = key;
    values[i] = value;
    size++;
    return true;
  }

  /**
   * Removes {@code key}.
   *
   * @return true if it was in the map
   */
  public boolean remove(long key) {
    if (key < 0) {
      return false;
    }
    int hole = find(key);
    if (hole < 0) {
      return false;
    }
    // Backward-shift deletion: move later entries of the probe run into the hole when the hole
    // lies on their probe path, so that no lookup ever stops early at it.
    int j = hole;
    while (true) {
      j = (j + 1) & mask;
      long k = keys[j];
      if (k == EMPTY) {
        break;
      }
      int h = home(k);
      if (((j - h) & mask) >= ((j - hole) & mask)) {
        keys[hole] = k;
        values[hole] = values[j];
        hole = j;
      }
    }
    keys[hole] = EMPTY;
    size--;
    return true;
  }

  /** Removes every entry. */
  public void clear() {
    Arrays.fill(keys, EMPTY);
    size = 0;
  }

  private void rehash(int capacity) {
    if (capacity > MAX_CAPACITY) {
      throw new IllegalStateException("map is full: " + size + " entries");
    }
    long[] oldKeys = keys;
    long[] oldValues = values;
    allocate(capacity);
    for (int i = 0; i < oldKeys.length; i++) {
      long k = oldKeys[i];
      if (k != EMPTY) {
        int j = -find(k) - 1;
        keys[j] = k;
        values[j] = oldValues[i];
      }
    }
  }

  /** An independent copy (two array copies; no per-entry work). */
  public LongLongMap copy() {
    return new LongLongMap(this);
  }

  /** The keys in ascending order. */
  public long[] sortedKeys() {
    long[] out = new long[size];
    int n = 0;
    for (long k : keys) {
      if (k != EMPTY) {
        out[n++] = k;
      }
    }
    Arrays.sort(out);
    return out;
  }

  /**
   * A cursor over the entries in no particular order. The map must not be modified while it is
   * used.
   */
  public Cursor cursor() {
    return new Cursor();
  }

  /** Walks the entries of the map: {@code while (c.next()) use(c.key(), c.value())}. */
  public final class Cursor {
    private int slot = -1;

    private Cursor() {}

    /** Moves to the next entry; false when there is none. */
    public boolean next() {
      while (++slot < keys.length) {
        if (keys[slot] != EMPTY) {
          return true;
        }
      }
      return false;
    }

    public long key() {
      return keys[slot];
    }

    public long value() {
      return values[slot];
    }
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof LongLongMap other) || other.size != size) {
      return false;
    }
    for (int i = 0; i < keys.length; i++) {
      long k = keys[i];
      if (k != EMPTY) {
        int j = other.find(k);
        if (j < 0 || other.values[j] != values[i]) {
          return false;
        }
      }
    }
    return true;
  }

  @Override
  public int hashCode() {
    int h = 0;
    for (int i = 0; i < keys.length; i++) {
      if (keys[i] != EMPTY) {
        h += Long.hashCode(keys[i]) ^ Long.hashCode(values[i]);
      }
    }
    return h;
  }

  @Override
  public String toString() {
    return "LongLongMap[" + size + " entries]";
  }
}
