package dev.cairn.delta;

import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * The last few decoded spill records, so that reading several chunks of one record, or reading back
 * a group just sealed, costs one read and one decompression. Direct-mapped: a record's offset
 * hashes to one of {@value #SLOTS} slots, and a newer record there replaces the older one.
 *
 * <p><b>Thread safety:</b> thread-safe and lock-free; records are immutable once published.
 */
final class RecordCache {
  private static final int SLOTS = 64;
  private static final long GOLDEN = 0x9E3779B97F4A7C15L;

  /** A decoded record at {@code offset}: its chunk ids and their bytes, slot after slot. */
  record Decoded(long offset, int count, long[] ids, byte[] data) {}

  private final AtomicReferenceArray<Decoded> slots = new AtomicReferenceArray<>(SLOTS);

  /** The record at {@code offset}, or null if it is not cached. */
  Decoded get(long offset) {
    Decoded d = slots.get(slot(offset));
    return d != null && d.offset() == offset ? d : null;
  }

  void put(Decoded d) {
    slots.set(slot(d.offset()), d);
  }

  private static int slot(long offset) {
    return (int) ((offset * GOLDEN) >>> 58);
  }
}
