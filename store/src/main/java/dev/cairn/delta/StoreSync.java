package dev.cairn.delta;

import java.io.IOException;

/**
 * The fsync of a {@link DeltaStore}: data, then manifest.
 *
 * <p>{@link #fsync()} seals the open group and takes the manifest's buffered changes in one atomic
 * step under the store's mutex (so that every location taken is in a sealed record), forces the
 * spill file, and only then appends and forces the manifest log. A crash at any point leaves a
 * manifest whose every durable location lies in durable spill data; spill records past the recorded
 * spill end are unreferenced, and a torn one is cut off when the store is opened (see {@link
 * RecoveryScan}).
 *
 * <p><b>Thread safety:</b> thread-safe. Fsyncs are serialised among themselves; changes keep
 * flowing while one waits for the disk, because only the seal-and-cut step holds the mutex. The
 * caller holds the store's gate (shared or exclusive), which keeps the spill file from being
 * replaced meanwhile.
 */
final class StoreSync {
  private final StoreGate gate;
  private final Manifest manifest;
  private final LiveSpill spill;
  private final Object mutex;
  private final Object fsyncLock = new Object();

  /**
   * @param mutex the store's mutex, under which every change pairs an allocator location with its
   *     manifest entry
   */
  StoreSync(StoreGate gate, Manifest manifest, LiveSpill spill, Object mutex) {
    this.gate = gate;
    this.manifest = manifest;
    this.spill = spill;
    this.mutex = mutex;
  }

  /** Makes every change made before the call durable: spill data first, then the manifest. */
  void fsync() throws IOException {
    synchronized (fsyncLock) {
      Manifest.Cut cut;
      synchronized (mutex) {
        long end = spill.allocator().seal();
        manifest.setAttribute(StoreFiles.ATTR_SPILL_END, end);
        manifest.setAttribute(StoreFiles.ATTR_SPILL_SLOTS, spill.slots());
        cut = manifest.cut();
      }
      if (cut.isEmpty()) {
        return;
      }
      try {
        spill.allocator().force();
      } catch (IOException e) {
        // After a failed fdatasync the kernel may have dropped the dirty pages; a retry could
        // report success for data that is gone, so nothing more is promised until a reopen.
        gate.markBroken();
        throw e;
      }
      manifest.commit(cut);
    }
  }
}
