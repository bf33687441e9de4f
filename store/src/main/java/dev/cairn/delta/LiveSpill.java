package dev.cairn.delta;

/**
 * The spill file a {@link DeltaStore} currently uses, and the chunk slots written to it before this
 * allocator was opened (the manifest keeps that count, since the allocator only sees what it scans
 * or writes). Compaction replaces both together.
 *
 * <p><b>Thread safety:</b> not thread-safe by itself: it is replaced only under the store gate's
 * exclusive lock, so every holder of the shared lock sees a stable value.
 */
final class LiveSpill {
  private DeltaAllocator allocator;
  private long slotsBase;

  LiveSpill(DeltaAllocator allocator, long slotsBase) {
    this.allocator = allocator;
    this.slotsBase = slotsBase;
  }

  DeltaAllocator allocator() {
    return allocator;
  }

  /** Chunk slots written to the spill file (live or overwritten), since it was created. */
  long slots() {
    return slotsBase + allocator.slots();
  }

  /** The fraction of chunk slots that no longer hold live data (0..1), given the live count. */
  double garbageRatio(long liveChunks) {
    long total = slots();
    if (total == 0) {
      return 0;
    }
    return Math.max(0, 1 - (double) liveChunks / total);
  }

  /** Switches to a fresh spill file (whose slots it counts itself); returns the old one. */
  DeltaAllocator switchTo(DeltaAllocator fresh) {
    DeltaAllocator old = allocator;
    allocator = fresh;
    slotsBase = 0;
    return old;
  }
}
