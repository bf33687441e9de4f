package dev.cairn.profile;

import dev.cairn.format.SnapshotId;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;

/**
 * Records which blocks of a snapshot's streams are read, in the order each is first read, as an
 * {@link AccessProfile}: a mount with {@code --record-profile} calls {@link #record} for every read
 * it serves. Blocks read again later keep their first place; a block read right after the previous
 * one extends the current run, so a sequential scan is one run however long.
 *
 * <p>Memory: one bit per block of each stream, and 16 bytes per run; recording stops adding runs at
 * {@link AccessProfile#MAX_RUNS} (the profile then covers what came first).
 *
 * <p>Thread-safe: reads from many FUSE threads record concurrently (one lock, held for a few bit
 * operations).
 */
public final class ProfileRecorder {
  private final SnapshotId snapshot;
  private final int blockSizeLog2;
  private final BitSet[] seen;
  private final long[] blockCounts;
  private final List<AccessProfile.Run> runs = new ArrayList<>();
  private int lastStream = -1;
  private long lastFirst;
  private int lastCount;

  /**
   * @param blockSizeLog2 log2 of the snapshot's block size
   * @param streamSizes the size in bytes of each stream
   */
  public ProfileRecorder(SnapshotId snapshot, int blockSizeLog2, long... streamSizes) {
    this.snapshot = snapshot;
    this.blockSizeLog2 = blockSizeLog2;
    this.seen = new BitSet[streamSizes.length];
    this.blockCounts = new long[streamSizes.length];
    for (int s = 0; s < streamSizes.length; s++) {
      blockCounts[s] = (streamSizes[s] + (1L << blockSizeLog2) - 1) >>> blockSizeLog2;
      if (blockCounts[s] > Integer.MAX_VALUE) {
        throw new IllegalArgumentException("stream " + s + " has too many blocks to record");
      }
      seen[s] = new BitSet((int) blockCounts[s]);
    }
  }

  /** Records a read of {@code length} bytes at {@code offset} of stream {@code stream}. */
  public void record(int stream, long offset, long length) {
    if (length <= 0 || stream < 0 || stream >= seen.length) {
      return;
    }
    long first = offset >>> blockSizeLog2;
    long last = Math.min(blockCounts[stream] - 1, (offset + length - 1) >>> blockSizeLog2);
    synchronized (this) {
      BitSet s = seen[stream];
      for (long b = first; b <= last; b++) {
        int i = (int) b;
        if (s.get(i)) {
          continue;
        }
        s.set(i);
        if (stream == lastStream && b == lastFirst + lastCount && lastCount < Integer.MAX_VALUE) {
          lastCount++;
        } else {
          close();
          if (runs.size() >= AccessProfile.MAX_RUNS) {
            lastStream = -1;
            return;
          }
          lastStream = stream;
          lastFirst = b;
          lastCount = 1;
        }
      }
    }
  }

  private void close() {
    if (lastStream >= 0) {
      runs.add(new AccessProfile.Run(lastStream, lastFirst, lastCount));
    }
  }

  /** What was recorded so far. */
  public synchronized AccessProfile profile() {
    List<AccessProfile.Run> all = new ArrayList<>(runs);
    if (lastStream >= 0 && all.size() < AccessProfile.MAX_RUNS) {
      all.add(new AccessProfile.Run(lastStream, lastFirst, lastCount));
    }
    return AccessProfile.of(snapshot, all);
  }
}
