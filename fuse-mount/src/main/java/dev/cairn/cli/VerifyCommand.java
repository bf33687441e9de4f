package dev.cairn.cli;

import dev.cairn.args.Human;
import dev.cairn.args.Snapshots;
import dev.cairn.error.ExitCode;
import dev.cairn.read.Snapshot;
import dev.cairn.read.SnapshotChain;
import dev.cairn.read.Verifier;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code cairn verify}: checks every index page and block; exit 0 only if all check out. */
@Command(
    name = "verify",
    mixinStandardHelpOptions = true,
    description = "Check every block and index page of a snapshot (exit 0 only if all are intact).")
final class VerifyCommand implements Callable<Integer> {
  @Mixin GlobalOptions global;

  @Mixin ParentSearch parentSearch;

  @Mixin KeyOptions keys;

  @Mixin TrustOptions trust;

  @Parameters(
      index = "0",
      paramLabel = "SNAP",
      description = "Snapshot file, http(s) URL or s3://BUCKET/KEY.")
  String snap;

  @Option(names = "--json", description = "Print one JSON object.")
  boolean json;

  @Override
  public Integer call() throws Exception {
    try (SnapshotChain chain =
        Snapshots.openChain(snap, parentSearch.dirs(), keys.ring(), trust.trust())) {
      Snapshot s = chain.top();
      Verifier v = new Verifier(s);
      long t0 = System.nanoTime();
      Verifier.Report report;
      try (Progress progress = Progress.start("verify", v.totalBytes(), json)) {
        report = v.run(progress);
      }
      long nanos = System.nanoTime() - t0;
      if (json) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("snapshot", s.describe());
        m.put("ok", report.ok());
        m.put("blocks_checked", report.blocksChecked());
        m.put("bytes_checked", report.bytesChecked());
        m.put("problem_count", report.problemCount());
        m.put("signed_by", signer(chain));
        List<Map<String, Object>> problems = new ArrayList<>();
        for (Verifier.Problem p : report.problems()) {
          Map<String, Object> pm = new LinkedHashMap<>();
          pm.put("stream", p.stream());
          pm.put("block", p.block());
          pm.put("error", p.message());
          problems.add(pm);
        }
        m.put("problems", problems);
        System.out.println(Json.of(m));
      } else {
        for (Verifier.Problem p : report.problems()) {
          System.err.println("cairn: " + p.message());
        }
        String signed =
            signer(chain) == null
                ? ""
                : ", signed by trusted key " + String.join(", ", signer(chain));
        if (report.ok()) {
          System.out.printf(
              "%s: OK, %d blocks (%s) checked in %s%s%n",
              snap,
              report.blocksChecked(),
              Human.bytes(report.bytesChecked()),
              Human.seconds(nanos),
              signed);
        } else {
          System.out.printf(
              "%s: FAILED, %d of %d blocks damaged%n",
              snap, report.problemCount(), report.blocksChecked());
        }
      }
      return report.ok() ? ExitCode.OK : ExitCode.FAILURE;
    }
  }

  /**
   * The key ids whose signatures the chain's members were checked against (top first, each once),
   * or null when it was opened without {@code --trust}.
   */
  private static List<String> signer(SnapshotChain chain) {
    List<String> ids = new ArrayList<>();
    for (Snapshot member : chain.members()) {
      member
          .signature()
          .map(sig -> sig.signer().id().hex())
          .filter(id -> !ids.contains(id))
          .ifPresent(ids::add);
    }
    return ids.isEmpty() ? null : ids;
  }
}
