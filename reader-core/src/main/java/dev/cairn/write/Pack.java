package dev.cairn.write;

import dev.cairn.io.AtomicOutputFile;
import dev.cairn.read.Snapshot;
import dev.cairn.read.StreamReader;
import java.io.IOException;
import java.nio.channels.WritableByteChannel;
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
    return withFeeds(
        inputs,
        options,
        feeds -> {
          try (AtomicOutputFile file = AtomicOutputFile.create(output)) {
            SnapshotWriter.Result result =
                write(feeds, file.channel(), options, dictionary, parent, progress);
            file.commit();
            return result;
          }
        });
  }

  /**
   * Like {@link #run(List, Path, WriterOptions, byte[], Snapshot, LongConsumer)}, streaming the
   * snapshot to {@code out} (standard output, a pipe), which is left open. A failure leaves a
   * partial snapshot there, which readers refuse (it has no trailer).
   */
  public static SnapshotWriter.Result run(
      List<Input> inputs,
      WritableByteChannel out,
      WriterOptions options,
      byte[] dictionary,
      Snapshot parent,
      LongConsumer progress)
      throws IOException {
    return withFeeds(
        inputs, options, feeds -> write(feeds, out, options, dictionary, parent, progress));
  }

  /** What to do with the opened feeds. */
  private interface Sink {
    SnapshotWriter.Result write(List<Named> feeds) throws IOException;
  }

  private record Named(FileBlockFeed feed, String name) {}

  /** Opens a feed per input, hands them to {@code sink} and closes them. */
  private static SnapshotWriter.Result withFeeds(
      List<Input> inputs, WriterOptions options, Sink sink) throws IOException {
    // Feeds first: they start reading while the writer sets itself up, and a missing input fails
    // before any output file exists.
    List<Named> feeds = new ArrayList<>();
    try {
      for (Input in : inputs) {
        feeds.add(new Named(FileBlockFeed.open(in.path(), options.blockSizeLog2()), in.name()));
      }
      return sink.write(feeds);
    } finally {
      for (Named f : feeds) {
        f.feed().close();
      }
    }
  }

  private static SnapshotWriter.Result write(
      List<Named> feeds,
      WritableByteChannel out,
      WriterOptions options,
      byte[] dictionary,
      Snapshot parent,
      LongConsumer progress)
      throws IOException {
    List<String> names = new ArrayList<>();
    for (Named f : feeds) {
      names.add(f.name());
    }
    try (SnapshotWriter writer = SnapshotWriter.start(out, options, names, dictionary)) {
      long before = 0;
      for (int i = 0; i < feeds.size(); i++) {
        FileBlockFeed feed = feeds.get(i).feed();
        long base = before;
        StreamReader parentStream =
            parent != null && i < parent.streams().size() ? parent.stream(i) : null;
        writer.writeStream(feed, parentStream, done -> progress.accept(base + done));
        before += feed.size();
      }
      return writer.finish();
    }
  }
}
