package dev.cairn.write;

import dev.cairn.read.Snapshot;
import dev.cairn.read.StreamReader;
import dev.cairn.store.AtomicOutputFile;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.LongConsumer;

/**
 * Packs one or two regular files into a new snapshot file, atomically: the snapshot appears under
 * {@code output} only when complete and durable, and a failure leaves no output file and does not
 * touch an existing one. Stateless and thread-safe.
 */
public final class Pack {
  private Pack() {}

  /** One input file and the name its stream is exposed under. */
  public record Input(Path path, String name) {}

  /**
   * Packs {@code inputs} (primary first) into {@code output}. {@code progress} receives the total
   * logical bytes done across all inputs.
   */
  public static SnapshotWriter.Result run(
      List<Input> inputs, Path output, WriterOptions options, LongConsumer progress)
      throws IOException {
    return run(inputs, output, options, null, null, progress);
  }

  /**
   * Like {@link #run(List, Path, WriterOptions, LongConsumer)}, with a zstd dictionary (or null)
   * and, for a thin snapshot, the parent (or null) whose unchanged blocks are inherited; {@code
   * options} must then name the parent's id and path hint.
   */
  public static SnapshotWriter.Result run(
      List<Input> inputs,
      Path output,
      WriterOptions options,
      byte[] dictionary,
      Snapshot parent,
      LongConsumer progress)
      throws IOException {
    List<String> names = new ArrayList<>();
    for (Input in : inputs) {
      names.add(in.name());
    }
    // Feeds first: they start reading while the writer sets itself up, and a missing input fails
    // before any output file exists.
    List<FileBlockFeed> feeds = new ArrayList<>();
    try {
      for (Input in : inputs) {
        feeds.add(FileBlockFeed.open(in.path(), options.blockSizeLog2()));
      }
      try (AtomicOutputFile file = AtomicOutputFile.create(output);
          SnapshotWriter writer =
              SnapshotWriter.start(file.channel(), options, names, dictionary)) {
        long before = 0;
        for (int i = 0; i < feeds.size(); i++) {
          FileBlockFeed feed = feeds.get(i);
          long base = before;
          StreamReader parentStream =
              parent != null && i < parent.streams().size() ? parent.stream(i) : null;
          writer.writeStream(feed, parentStream, done -> progress.accept(base + done));
          before += feed.size();
        }
        SnapshotWriter.Result result = writer.finish();
        file.commit();
        return result;
      }
    } finally {
      for (FileBlockFeed f : feeds) {
        f.close();
      }
    }
  }
}
