package dev.cairn.cli;

import dev.cairn.args.Human;
import dev.cairn.args.Snapshots;
import dev.cairn.error.ExitCode;
import dev.cairn.read.SnapshotChain;
import dev.cairn.read.SnapshotDiff;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code cairn diff}: which byte ranges of each stream differ between two snapshots. Exits as
 * {@code diff(1)} and {@code cmp(1)} do: 0 identical, {@value #DIFFERENT} different, {@value
 * #TROUBLE} trouble (an unreadable or invalid snapshot, a bad flag, an I/O error).
 */
@Command(
    name = "diff",
    mixinStandardHelpOptions = true,
    description = "Show which ranges of each stream differ between two snapshots.",
    exitCodeListHeading = "%nExit status:%n",
    exitCodeList = {" 0:the snapshots are identical", " 1:they differ", " 2:trouble"})
final class DiffCommand implements Callable<Integer> {
  static final int DIFFERENT = 1;
  static final int TROUBLE = 2;

  /** Human output lists at most this many ranges per stream. */
  private static final int SHOWN = 20;

  @Mixin GlobalOptions global;

  @Mixin ParentSearch parentSearch;

  @Mixin KeyOptions keys;

  @Mixin TrustOptions trust;

  @Parameters(
      index = "0",
      paramLabel = "SNAP_A",
      description = "A snapshot file, http(s) URL or s3://BUCKET/KEY.")
  String snapA;

  @Parameters(
      index = "1",
      paramLabel = "SNAP_B",
      description = "The snapshot to compare it with, likewise.")
  String snapB;

  @Option(names = "--json", description = "Print one JSON object.")
  boolean json;

  @Override
  public Integer call() throws Exception {
    try (SnapshotChain a =
            Snapshots.openChain(snapA, parentSearch.dirs(), keys.ring(), trust.trust());
        SnapshotChain b =
            Snapshots.openChain(snapB, parentSearch.dirs(), keys.ring(), trust.trust())) {
      SnapshotDiff diff = new SnapshotDiff(a.top(), b.top());
      List<SnapshotDiff.StreamDiff> result;
      try (Progress progress = Progress.start("diff", diff.totalBytes(), json)) {
        result = diff.run(progress);
      }
      int streamsA = a.top().streams().size();
      int streamsB = b.top().streams().size();
      boolean identical = streamsA == streamsB && result.stream().allMatch(d -> d.identical());
      if (json) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("a", snapA);
        m.put("b", snapB);
        m.put("identical", identical);
        m.put("streams_a", streamsA);
        m.put("streams_b", streamsB);
        List<Map<String, Object>> streams = new ArrayList<>();
        for (SnapshotDiff.StreamDiff d : result) {
          Map<String, Object> sm = new LinkedHashMap<>();
          sm.put("role", d.index() == 0 ? "primary" : "secondary");
          sm.put("name_a", d.nameA());
          sm.put("name_b", d.nameB());
          sm.put("size_a", d.sizeA());
          sm.put("size_b", d.sizeB());
          sm.put("changed_bytes", d.changedBytes());
          List<List<Long>> ranges = new ArrayList<>();
          for (SnapshotDiff.Range r : d.ranges()) {
            ranges.add(List.of(r.offset(), r.length()));
          }
          sm.put("ranges", ranges);
          streams.add(sm);
        }
        m.put("streams", streams);
        System.out.println(Json.of(m));
      } else {
        for (SnapshotDiff.StreamDiff d : result) {
          String name = d.nameA().equals(d.nameB()) ? d.nameA() : d.nameA() + " / " + d.nameB();
          if (d.identical()) {
            System.out.printf("%s: identical (%s)%n", name, Human.bytes(d.sizeA()));
            continue;
          }
          System.out.printf(
              "%s: %s differ in %d ranges; size %d -> %d%n",
              name, Human.bytes(d.changedBytes()), d.ranges().size(), d.sizeA(), d.sizeB());
          for (int i = 0; i < Math.min(SHOWN, d.ranges().size()); i++) {
            SnapshotDiff.Range r = d.ranges().get(i);
            System.out.printf(
                "  %#014x .. %#014x  (%s)%n",
                r.offset(), r.offset() + r.length(), Human.bytes(r.length()));
          }
          if (d.ranges().size() > SHOWN) {
            System.out.printf("  … %d more (use --json for all)%n", d.ranges().size() - SHOWN);
          }
        }
        if (streamsA != streamsB) {
          System.out.printf("stream count differs: %d vs %d%n", streamsA, streamsB);
        }
      }
      return identical ? ExitCode.OK : DIFFERENT;
    }
  }
}
