package dev.cairn.overlay;

import dev.cairn.crypto.KeyRing;
import dev.cairn.read.BlockCache;
import dev.cairn.read.ReadStats;
import dev.cairn.read.Snapshot;
import dev.cairn.read.SnapshotChain;
import dev.cairn.sign.Trust;
import java.io.IOException;
import java.nio.file.Path;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * How an overlay opens its base snapshot when it is reopened from its directory alone: the overlay
 * decides which paths to try, the opener knows how to open one (with its parent chain, keys, cache
 * and statistics). The overlay hands every snapshot it got back to {@link #release}, either because
 * it was the wrong one or because the overlay is closing.
 *
 * <p><b>Thread safety:</b> implementations must tolerate calls from any thread, one at a time.
 */
@FunctionalInterface
public interface SnapshotOpener {

  /** Opens the snapshot file at {@code path}. */
  Snapshot open(Path path) throws IOException;

  /**
   * Releases a snapshot this opener returned. The default closes it, which suits snapshots without
   * parents; openers of chains close the whole chain.
   */
  default void release(Snapshot snapshot) throws IOException {
    snapshot.close();
  }

  /**
   * An opener that opens each path as a {@link SnapshotChain} (the snapshot and its ancestors,
   * found through their path hints and {@code searchDirs}) and closes the whole chain on release.
   */
  static SnapshotOpener chains(List<Path> searchDirs, BlockCache cache, ReadStats stats) {
    return chains(searchDirs, cache, stats, KeyRing.NONE);
  }

  /**
   * Like {@link #chains(List, BlockCache, ReadStats)}, opening encrypted members with {@code keys}.
   */
  static SnapshotOpener chains(
      List<Path> searchDirs, BlockCache cache, ReadStats stats, KeyRing keys) {
    return chains(searchDirs, cache, stats, keys, Trust.NONE);
  }

  /**
   * Like {@link #chains(List, BlockCache, ReadStats, KeyRing)}, checking every member against its
   * signature by one of {@code trust}'s keys when it names any.
   */
  static SnapshotOpener chains(
      List<Path> searchDirs, BlockCache cache, ReadStats stats, KeyRing keys, Trust trust) {
    return new SnapshotOpener() {
      private final Map<Snapshot, SnapshotChain> open = new IdentityHashMap<>();

      @Override
      public Snapshot open(Path path) throws IOException {
        SnapshotChain chain = SnapshotChain.open(path, searchDirs, cache, stats, keys, trust);
        synchronized (open) {
          open.put(chain.top(), chain);
        }
        return chain.top();
      }

      @Override
      public void release(Snapshot snapshot) throws IOException {
        SnapshotChain chain;
        synchronized (open) {
          chain = open.remove(snapshot);
        }
        if (chain != null) {
          chain.close();
        } else {
          snapshot.close();
        }
      }
    };
  }
}
