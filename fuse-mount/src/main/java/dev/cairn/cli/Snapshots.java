package dev.cairn.cli;

import dev.cairn.read.BlockCache;
import dev.cairn.read.ReadStats;
import dev.cairn.read.Snapshot;
import dev.cairn.store.FileByteSource;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Opens the {@code SNAP} argument of a command. Stateless. */
final class Snapshots {
  static final long DEFAULT_CACHE = 64L << 20;

  private Snapshots() {}

  /** Opens a snapshot named on the command line, with a small cache, for one-shot commands. */
  static Snapshot open(String spec) throws IOException, UsageException {
    return open(spec, BlockCache.withCapacity(DEFAULT_CACHE), new ReadStats());
  }

  static Snapshot open(String spec, BlockCache cache, ReadStats stats)
      throws IOException, UsageException {
    Path p = Inputs.regularFile(spec, "snapshot");
    return Snapshot.open(FileByteSource.open(p), cache, stats);
  }
}
