package dev.cairn.cli;

import dev.cairn.args.Human;
import dev.cairn.args.Snapshots;
import dev.cairn.crypto.KeyRing;
import dev.cairn.error.ExitCode;
import dev.cairn.error.UsageException;
import dev.cairn.overlay.OverlayConfig;
import dev.cairn.overlay.OverlayImage;
import dev.cairn.overlay.SnapshotOpener;
import dev.cairn.read.BlockCache;
import dev.cairn.read.ReadStats;
import dev.cairn.write.Commit;
import dev.cairn.write.SnapshotWriter;
import dev.cairn.write.WriterOptions;
import java.io.PrintStream;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code cairn commit}: an overlay directory into a thin (or, with --flatten, standalone) snapshot.
 */
@Command(
    name = "commit",
    mixinStandardHelpOptions = true,
    description =
        "Write an overlay's changes as a thin snapshot of its base (or a standalone one with"
            + " --flatten). The overlay is left as it is.")
final class CommitCommand implements Callable<Integer> {
  @Mixin GlobalOptions global;

  @Mixin ParentSearch parentSearch;

  @Mixin KeyOptions keys;

  @Mixin TrustOptions trust;

  @Mixin SignOption sign;

  @Parameters(
      index = "0",
      paramLabel = "OVERLAY_DIR",
      description = "Overlay directory (from mount --overlay).")
  String dir;

  @Option(
      names = {"-o", "--output"},
      required = true,
      paramLabel = "OUT",
      description = "Snapshot file to write, or - for standard output (not a terminal).")
  String output;

  @Option(names = "--flatten", description = "Write every block: a snapshot that needs no parent.")
  boolean flatten;

  @Option(
      names = "--codec",
      paramLabel = "CODEC",
      description = "lz4, zstd or none (default: the base's).")
  String codec;

  @Option(
      names = "--level",
      paramLabel = "N",
      description = "Compression level (default: the codec's, or the base's).")
  Integer level;

  @Option(
      names = "--encrypt",
      negatable = true,
      description =
          "Seal the new snapshot with AES-256-GCM under the first --key-file or --passphrase-env"
              + " given. Default: sealed when the overlay's base is encrypted; --no-encrypt writes"
              + " it plain on purpose.")
  Boolean encrypt;

  @Option(names = "--json", description = "Print the result as one JSON object.")
  boolean json;

  @Override
  public Integer call() throws Exception {
    KeyRing ring = keys.ring();
    if (Boolean.TRUE.equals(encrypt) && ring.isEmpty()) {
      throw new UsageException(PackCommand.NO_SEALING_KEY);
    }
    Path overlayDir = Path.of(dir);
    if (!Files.isDirectory(overlayDir)) {
      throw new UsageException(dir + ": no such directory");
    }
    if (!OverlayConfig.exists(overlayDir)) {
      throw new UsageException(dir + ": not a Cairn overlay (no " + OverlayConfig.FILE_NAME + ")");
    }
    WritableByteChannel stdout = Outputs.isStdout(output) ? Outputs.stdout() : null;
    Path out = stdout != null ? null : Outputs.outputFile(output);
    sign.check(out);
    BlockCache cache = BlockCache.withCapacity(Snapshots.DEFAULT_CACHE);
    SnapshotOpener opener =
        SnapshotOpener.chains(parentSearch.dirs(), cache, new ReadStats(), ring, trust.trust());
    try (OverlayImage overlay = OverlayImage.openReadOnly(overlayDir, opener)) {
      if (out != null && Files.exists(out) && Files.isSameFile(out, overlay.basePath())) {
        throw new UsageException(output + ": output would overwrite the overlay's base");
      }
      if (!flatten) {
        sign.checkParent(overlay.basePath());
      }
      WriterOptions options = options(overlay);
      // a base sealed at rest would leak through a plain child: sealed unless --no-encrypt
      boolean seal = encrypt != null ? encrypt : Snapshots.encrypted(overlay.base());
      if (seal) {
        options = options.withSealing(ring.newSealing(new SecureRandom()));
      }
      long total = Commit.totalBytes(overlay);
      long t0 = System.nanoTime();
      SnapshotWriter.Result result;
      try (Progress progress = Progress.start("commit", total, json)) {
        // a snapshot streamed to stdout is expected to be stored next to its base
        result =
            out == null
                ? Commit.run(
                    overlay,
                    stdout,
                    overlay.basePath().getFileName().toString(),
                    options,
                    flatten,
                    progress)
                : Commit.run(overlay, out, options, flatten, progress);
      }
      long nanos = System.nanoTime() - t0;
      Map<String, Object> signed = new LinkedHashMap<>();
      String signedText = out == null ? "" : sign.sign(out, parentSearch.dirs(), json, signed);
      PrintStream report = out == null ? System.err : System.out;
      if (json) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("output", out == null ? "-" : out.toString());
        m.put("snapshot_id", result.header().snapshotId().toString());
        m.put("parent_id", flatten ? null : result.header().parentId().toString());
        m.put("logical_bytes", total);
        m.put("output_bytes", result.fileSize());
        m.put("encryption", EncryptionJson.of(result.header().encryption()));
        m.putAll(signed);
        m.put("seconds", nanos / 1e9);
        report.println(Json.of(m));
      } else {
        report.printf(
            Locale.ROOT,
            "committed %s (%s) into %s: %s, %s%s%s%s%n",
            dir,
            Human.bytes(total),
            out == null ? "standard output" : output,
            Human.bytes(result.fileSize()),
            Human.seconds(nanos),
            flatten ? "" : ", thin on " + overlay.basePath(),
            seal ? ", encrypted (" + result.header().encryption() + ")" : "",
            signedText);
      }
    }
    return ExitCode.OK;
  }

  private WriterOptions options(OverlayImage overlay) throws UsageException {
    CodecChoice choice =
        CodecChoice.of(
            codec, level, overlay.base().header().codec(), overlay.base().header().codecLevel());
    return WriterOptions.defaults().withCodec(choice.type(), choice.level());
  }
}
