package dev.cairn.write;

import dev.cairn.format.BlockEntry;
import dev.cairn.io.AtomicOutputFile;
import dev.cairn.overlay.OverlayImage;
import dev.cairn.overlay.OverlayView;
import dev.cairn.read.Snapshot;
import dev.cairn.read.StreamReader;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.LongConsumer;

/**
 * Turns an overlay into a snapshot with the same {@link SnapshotWriter} that {@code pack} uses. A
 * thin commit writes blocks the overlay never touched as references to the base (no data read), and
 * hashes the touched ones, so a block rewritten with identical bytes is still a reference; a flat
 * commit writes every byte. The overlay is read through a consistent {@link OverlayView} and never
 * modified; the output appears atomically. Stateless and thread-safe.
 */
public final class Commit {
  private Commit() {}

  /** Bytes a commit of {@code overlay} covers (for progress bars). */
  public static long totalBytes(OverlayImage overlay) {
    long total = overlay.size();
    Snapshot base = overlay.base();
    for (int i = 1; i < base.streams().size(); i++) {
      total += base.stream(i).size();
    }
    return total;
  }

  /**
   * Commits {@code overlay} to {@code output}. {@code options} decides codec and level; its block
   * size is replaced by the base's, and for a thin commit ({@code flatten} false) its parent by the
   * base with a path hint relative to {@code output}'s directory.
   */
  public static SnapshotWriter.Result run(
      OverlayImage overlay,
      Path output,
      WriterOptions options,
      boolean flatten,
      LongConsumer progress)
      throws IOException {
    Path out = output.toAbsolutePath().normalize();
    String hint =
        out.getParent().relativize(overlay.basePath().toAbsolutePath().normalize()).toString();
    try (AtomicOutputFile file = AtomicOutputFile.create(output)) {
      SnapshotWriter.Result result = run(overlay, file.channel(), hint, options, flatten, progress);
      file.commit();
      return result;
    }
  }

  /**
   * Like {@link #run(OverlayImage, Path, WriterOptions, boolean, LongConsumer)}, streaming the
   * snapshot to {@code out} (left open); a thin commit records {@code parentHint} as the path of
   * the base relative to where the snapshot will be stored.
   */
  public static SnapshotWriter.Result run(
      OverlayImage overlay,
      WritableByteChannel out,
      String parentHint,
      WriterOptions options,
      boolean flatten,
      LongConsumer progress)
      throws IOException {
    Snapshot base = overlay.base();
    WriterOptions o = options.withBlockSizeLog2(base.header().blockSizeLog2());
    if (!flatten) {
      o = o.withParent(base.header(), parentHint);
    }
    List<String> names = new ArrayList<>(base.header().streamNames());
    try (OverlayView view = overlay.view();
        SnapshotWriter writer = SnapshotWriter.start(out, o, names)) {
      int blockSize = o.blockSize();
      StreamReader primary = base.stream(0);
      writer.writeStream(
          new OverlayFeed(view, primary, blockSize, flatten), flatten ? null : primary, progress);
      long done = view.size();
      for (int i = 1; i < names.size(); i++) {
        StreamReader s = base.stream(i);
        long before = done;
        writer.writeStream(
            new BaseFeed(s, flatten), flatten ? null : s, p -> progress.accept(before + p));
        done += s.size();
      }
      return writer.finish();
    }
  }

  /** The primary stream: the overlay's bytes, untouched blocks as references to the base. */
  private record OverlayFeed(OverlayView view, StreamReader base, int blockSize, boolean flatten)
      implements BlockFeed {
    @Override
    public long size() {
      return view.size();
    }

    @Override
    public BlockEntry read(long block, ByteBuffer dst) throws IOException {
      if (!flatten
          && !view.isBlockChanged(block, blockSize)
          && block < base.blockCount()
          && base.blockLength(block) == dst.remaining()) {
        return base.entry(block);
      }
      view.readBlock(block, blockSize, dst);
      return null;
    }
  }

  /** A read-only secondary stream: all references for a thin commit, all bytes for a flat one. */
  private record BaseFeed(StreamReader stream, boolean flatten) implements BlockFeed {
    @Override
    public long size() {
      return stream.size();
    }

    @Override
    public BlockEntry read(long block, ByteBuffer dst) throws IOException {
      if (!flatten) {
        return stream.entry(block);
      }
      stream.readBlock(block, dst);
      return null;
    }
  }
}
