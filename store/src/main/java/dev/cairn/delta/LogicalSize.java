package dev.cairn.delta;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * A {@link DeltaStore}'s logical size and the invariant about it: chunks wholly past it are absent
 * and the bytes of the chunk that straddles it are zero past it, so that growing the size later
 * always reveals zeros. The size is manifest attribute {@link StoreFiles#ATTR_LOGICAL_SIZE}.
 *
 * <p>A shrink logs the new size before the removals, so any prefix of them that survives a crash is
 * completed by the next open for writing, which calls {@link #trimPastSize()}: a crash in the
 * middle of an unsynced shrink or write past the end can break the invariant, and opening
 * re-establishes it.
 *
 * <p><b>Thread safety:</b> thread-safe. Changes hold the store's gate shared for writing and the
 * store's mutex, so the removals and the rewritten straddler pair their allocator locations with
 * the manifest like any other change.
 */
final class LogicalSize {
  private final StoreGate gate;
  private final Manifest manifest;
  private final LiveSpill spill;
  private final Object mutex;

  LogicalSize(StoreGate gate, Manifest manifest, LiveSpill spill, Object mutex) {
    this.gate = gate;
    this.manifest = manifest;
    this.spill = spill;
    this.mutex = mutex;
  }

  long get() {
    return manifest.attribute(StoreFiles.ATTR_LOGICAL_SIZE);
  }

  /** See {@link DeltaStore#extendLogicalSize}. */
  void extend(long end) throws IOException {
    gate.enterWrite();
    try {
      synchronized (mutex) {
        if (end > manifest.attribute(StoreFiles.ATTR_LOGICAL_SIZE)) {
          manifest.setAttribute(StoreFiles.ATTR_LOGICAL_SIZE, end);
        }
      }
    } finally {
      gate.exitShared();
    }
  }

  /** See {@link DeltaStore#setLogicalSize}. */
  void set(long size) throws IOException {
    if (size < 0) {
      throw new IllegalArgumentException("negative size " + size);
    }
    gate.enterWrite();
    try {
      synchronized (mutex) {
        long old = manifest.attribute(StoreFiles.ATTR_LOGICAL_SIZE);
        manifest.setAttribute(StoreFiles.ATTR_LOGICAL_SIZE, size);
        if (size < old) {
          trimLocked(size);
        }
      }
    } finally {
      gate.exitShared();
    }
  }

  /** Re-establishes the invariant on opening for writing, before the store is published. */
  void trimPastSize() throws IOException {
    synchronized (mutex) {
      trimLocked(get());
    }
  }

  private void trimLocked(long size) throws IOException {
    DeltaAllocator allocator = spill.allocator();
    int chunkSize = allocator.chunkSize();
    int chunkShift = Integer.numberOfTrailingZeros(chunkSize);
    long firstWhollyPast = (size + chunkSize - 1) >>> chunkShift;
    manifest.removeAtLeast(firstWhollyPast);
    int inChunk = (int) (size & (chunkSize - 1));
    long straddler = size >>> chunkShift;
    long loc = manifest.get(straddler, -1);
    if (inChunk != 0 && loc >= 0) {
      ByteBuffer b = ByteBuffer.allocate(chunkSize);
      allocator.read(loc, straddler, 0, b);
      boolean dirty = false;
      for (int i = inChunk; i < chunkSize && !dirty; i++) {
        dirty = b.get(i) != 0;
      }
      if (dirty) {
        for (int i = inChunk; i < chunkSize; i++) {
          b.put(i, (byte) 0);
        }
        b.clear();
        manifest.put(straddler, allocator.write(straddler, b));
      }
    }
  }
}
