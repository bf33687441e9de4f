package dev.cairn.delta;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The counters and reports a {@link DeltaStore} gives about itself: statistics, disk use and what
 * opening repaired.
 *
 * <p><b>Thread safety:</b> stateless; the caller holds the store's gate shared where it needs a
 * consistent spill file.
 */
final class StoreStats {
  private StoreStats() {}

  /** Counters for statistics, in a stable order. */
  static Map<String, Object> counters(
      int chunkSize, Manifest manifest, LiveSpill spill, long compactions) {
    DeltaAllocator allocator = spill.allocator();
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("chunkSize", chunkSize);
    m.put("logicalSize", manifest.attribute(StoreFiles.ATTR_LOGICAL_SIZE));
    m.put("storedChunks", manifest.size());
    m.put("openGroupChunks", allocator.openChunks());
    m.put("spillBytes", allocator.end());
    m.put("spillDurableBytes", allocator.forcedEnd());
    m.put("spillGeneration", allocator.generation());
    m.put("garbageRatio", Math.round(spill.garbageRatio(manifest.size()) * 1000) / 1000.0);
    m.put("manifestBytes", manifest.snapshotBytes() + manifest.logBytes());
    m.put("manifestGeneration", manifest.generation());
    m.put("compactions", compactions);
    return m;
  }

  /** Bytes on disk: spill file and manifest files. */
  static long diskBytes(Manifest manifest, DeltaAllocator allocator) {
    return allocator.end() + manifest.snapshotBytes() + manifest.logBytes();
  }

  /** What opening repaired: torn log bytes and torn spill bytes discarded. */
  static String recoverySummary(Manifest manifest, DeltaAllocator allocator) {
    Manifest.Recovery m = manifest.recovery();
    SpillRecovery a = allocator.recovery();
    return "manifest: "
        + m.recordsReplayed()
        + " log records replayed, "
        + m.bytesDiscarded()
        + " torn bytes discarded; spill: "
        + a.recordsScanned()
        + " records past the durable end, "
        + a.bytesDiscarded()
        + " torn bytes discarded";
  }

  /** True if opening found and discarded a torn tail in the manifest log or the spill file. */
  static boolean repairedOnOpen(Manifest manifest, DeltaAllocator allocator) {
    return manifest.recovery().bytesDiscarded() > 0 || allocator.recovery().bytesDiscarded() > 0;
  }
}
