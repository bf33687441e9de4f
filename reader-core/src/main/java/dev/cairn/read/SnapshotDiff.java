package dev.cairn.read;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.LongConsumer;

/**
 * Compares two snapshots stream by stream. With equal block sizes it compares the content hashes in
 * the index (no data is read, so a thin child is compared with its parent in moments); with
 * different block sizes it compares logical bytes. Not thread-safe; one comparison per instance.
 */
public final class SnapshotDiff {
  /** A run of consecutive differing bytes, {@code [offset, offset + length)}. */
  public record Range(long offset, long length) {}

  /** How one stream differs. {@code ranges} is capped; {@code changedBytes} is not. */
  public record StreamDiff(
      int index,
      String nameA,
      String nameB,
      long sizeA,
      long sizeB,
      long changedBytes,
      List<Range> ranges) {
    public boolean identical() {
      return sizeA == sizeB && changedBytes == 0;
    }
  }

  /** Listing stops after this many ranges per stream (the byte count stays exact). */
  public static final int MAX_RANGES = 10_000;

  private final Snapshot a;
  private final Snapshot b;

  public SnapshotDiff(Snapshot a, Snapshot b) {
    this.a = a;
    this.b = b;
  }

  /** Bytes a run will cover (for progress bars). */
  public long totalBytes() {
    long total = 0;
    for (int i = 0; i < Math.min(a.streams().size(), b.streams().size()); i++) {
      total += Math.max(a.stream(i).size(), b.stream(i).size());
    }
    return total;
  }

  /** Compares the streams both snapshots have; {@code progress} gets bytes compared so far. */
  public List<StreamDiff> run(LongConsumer progress) throws IOException {
    List<StreamDiff> out = new ArrayList<>();
    long base = 0;
    for (int i = 0; i < Math.min(a.streams().size(), b.streams().size()); i++) {
      StreamReader sa = a.stream(i);
      StreamReader sb = b.stream(i);
      long done = base;
      StreamDiff d =
          sa.blockSize() == sb.blockSize() && a.header().contentHash() == b.header().contentHash()
              ? byHash(i, sa, sb, p -> progress.accept(done + p))
              : byBytes(i, sa, sb, p -> progress.accept(done + p));
      out.add(d);
      base += Math.max(sa.size(), sb.size());
    }
    return out;
  }

  private static StreamDiff byHash(int i, StreamReader sa, StreamReader sb, LongConsumer progress)
      throws IOException {
    Collector c = new Collector();
    long common = Math.min(sa.blockCount(), sb.blockCount());
    int bs = sa.blockSize();
    for (long blk = 0; blk < common; blk++) {
      boolean same =
          sa.blockLength(blk) == sb.blockLength(blk)
              && Arrays.equals(sa.entry(blk).contentHash(), sb.entry(blk).contentHash());
      if (!same) {
        c.add(blk * bs, Math.max(sa.blockLength(blk), sb.blockLength(blk)));
      }
      progress.accept((blk + 1) * bs);
    }
    addTail(c, sa, sb);
    return c.result(i, sa, sb);
  }

  private static StreamDiff byBytes(int i, StreamReader sa, StreamReader sb, LongConsumer progress)
      throws IOException {
    Collector c = new Collector();
    int chunk = 1 << 20;
    ByteBuffer ba = ByteBuffer.allocateDirect(chunk);
    ByteBuffer bb = ByteBuffer.allocateDirect(chunk);
    long common = Math.min(sa.size(), sb.size());
    int unit = Math.min(sa.blockSize(), sb.blockSize());
    for (long pos = 0; pos < common; pos += chunk) {
      int n = (int) Math.min(chunk, common - pos);
      ba.clear().limit(n);
      bb.clear().limit(n);
      sa.read(pos, ba);
      sb.read(pos, bb);
      for (int off = 0; off < n; off += unit) {
        int len = Math.min(unit, n - off);
        if (ba.duplicate()
                .position(off)
                .limit(off + len)
                .mismatch(bb.duplicate().position(off).limit(off + len))
            != -1) {
          c.add(pos + off, len);
        }
      }
      progress.accept(pos + n);
    }
    addTail(c, sa, sb);
    return c.result(i, sa, sb);
  }

  private static void addTail(Collector c, StreamReader sa, StreamReader sb) {
    long commonBlocksEnd = Math.min(sa.size(), sb.size());
    long end = Math.max(sa.size(), sb.size());
    if (end > commonBlocksEnd) {
      long from = Math.max(commonBlocksEnd, c.lastEnd());
      if (end > from) {
        c.add(from, end - from);
      }
    }
  }

  /** Merges adjacent differing spans into ranges. */
  private static final class Collector {
    private final List<Range> ranges = new ArrayList<>();
    private long changed;
    private long start = -1;
    private long end = -1;

    void add(long offset, long length) {
      changed += length;
      if (offset == end) {
        end += length;
        return;
      }
      flush();
      start = offset;
      end = offset + length;
    }

    long lastEnd() {
      return Math.max(end, 0);
    }

    private void flush() {
      if (start >= 0 && ranges.size() < MAX_RANGES) {
        ranges.add(new Range(start, end - start));
      }
    }

    StreamDiff result(int i, StreamReader sa, StreamReader sb) {
      flush();
      start = -1;
      return new StreamDiff(
          i, sa.name(), sb.name(), sa.size(), sb.size(), changed, List.copyOf(ranges));
    }
  }
}
