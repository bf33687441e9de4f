package dev.cairn.delta;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * When and how a {@link DeltaStore} reclaims overwritten chunks: it copies the live chunks of
 * {@code spill.S} into a new {@code spill.S+1} and switches to it together with a manifest
 * generation:
 *
 * <ol>
 *   <li>fsync ({@link StoreSync}), so the old state is wholly durable;
 *   <li>write the live chunks to {@code spill.S+1}, fsync it and the directory;
 *   <li>write a manifest generation whose map points into {@code spill.S+1} and whose attributes
 *       name S+1 (the manifest's own temp-file, fsync, rename, fsync-directory protocol) — the
 *       commit point;
 *   <li>delete {@code spill.S}.
 * </ol>
 *
 * Steps 2 and 3 are {@link SpillCompaction}. Before step 3 is durable the manifest names S, so
 * opening uses {@code spill.S} and deletes {@code spill.S+1}; after it, the manifest names S+1,
 * whose file was durable before the rename, and opening deletes {@code spill.S} (see {@link
 * StoreFiles}). No state in between needs repair.
 *
 * <p>Compaction is skipped while a {@link StoreView} is open (the view reads the old spill file),
 * and {@link #compactIfWorthwhile()} only compacts a big spill file that is mostly garbage.
 *
 * <p><b>Thread safety:</b> thread-safe. Compaction holds the gate exclusively, which keeps every
 * other use of the store out; the count of open views is guarded by the store's mutex.
 */
final class StoreCompaction {
  /** Below this spill size compaction is not worth a pause. */
  private static final long MIN_COMPACT_SPILL = 64L << 20;

  private final Path dir;
  private final ChunkCompressor compressor;
  private final StoreGate gate;
  private final Manifest manifest;
  private final LiveSpill spill;
  private final Object mutex;
  private final StoreSync sync;
  private volatile Failpoint failpoint = Failpoint.NONE;

  // Changed only under the gate's exclusive lock.
  private long compactions;

  // Guarded by mutex.
  private int pins;

  StoreCompaction(
      Path dir,
      ChunkCompressor compressor,
      StoreGate gate,
      Manifest manifest,
      LiveSpill spill,
      Object mutex,
      StoreSync sync) {
    this.dir = dir;
    this.compressor = compressor;
    this.gate = gate;
    this.manifest = manifest;
    this.spill = spill;
    this.mutex = mutex;
    this.sync = sync;
  }

  /** See {@link DeltaStore#compact()}. */
  boolean compact() throws IOException {
    gate.enterExclusive();
    try {
      gate.checkWritable();
      synchronized (mutex) {
        if (pins > 0) {
          return false;
        }
      }
      compactLocked();
      return true;
    } finally {
      gate.exitExclusive();
    }
  }

  /** See {@link DeltaStore#compactIfWorthwhile()}. */
  boolean compactIfWorthwhile() throws IOException {
    if (gate.isReadOnly()
        || spill.allocator().end() < MIN_COMPACT_SPILL
        || spill.garbageRatio(manifest.size()) < 0.5) {
      return false;
    }
    return compact();
  }

  private void compactLocked() throws IOException {
    sync.fsync();
    DeltaAllocator fresh =
        SpillCompaction.copyAndSwitch(
            dir, manifest, spill.allocator(), compressor, failpoint, gate::markBroken);
    DeltaAllocator old = spill.switchTo(fresh);
    compactions++;
    old.close();
    failpoint.reached("store.switched");
    try {
      Files.deleteIfExists(old.path());
    } catch (IOException e) {
      // Harmless: the next open deletes spill files of other generations.
    }
    failpoint.reached("store.old-spill-deleted");
  }

  /** Counts an open view; the caller holds the store's mutex. */
  void pin() {
    pins++;
  }

  /** Counts a closed view; the caller holds the store's mutex. */
  void unpin() {
    pins--;
  }

  /** Compactions done since the store was opened. */
  long compactions() {
    return compactions;
  }

  void failpoint(Failpoint f) {
    failpoint = f;
  }
}
