package dev.cairn.cli;

import dev.cairn.args.Human;
import dev.cairn.args.InputFiles;
import dev.cairn.args.Snapshots;
import dev.cairn.codec.DictionaryTrainer;
import dev.cairn.crypto.Aead;
import dev.cairn.crypto.KeyRing;
import dev.cairn.error.ExitCode;
import dev.cairn.error.UsageException;
import dev.cairn.format.CodecType;
import dev.cairn.format.HashAlgorithm;
import dev.cairn.format.Header;
import dev.cairn.read.Snapshot;
import dev.cairn.read.SnapshotChain;
import dev.cairn.source.RemoteByteSource;
import dev.cairn.write.Pack;
import dev.cairn.write.SnapshotWriter;
import dev.cairn.write.WriterOptions;
import java.io.PrintStream;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code cairn pack}: one or two files into a new snapshot. */
@Command(
    name = "pack",
    mixinStandardHelpOptions = true,
    description = "Pack a file (and optionally a second one) into a compressed snapshot.")
final class PackCommand implements Callable<Integer> {
  @Mixin GlobalOptions global;

  @Spec CommandSpec spec;

  @Parameters(index = "0", paramLabel = "INPUT", description = "File to pack (the primary stream).")
  String input;

  @Option(
      names = {"-o", "--output"},
      required = true,
      paramLabel = "OUT",
      description = "Snapshot file to write, or - for standard output (not a terminal).")
  String output;

  @Option(
      names = "--secondary",
      paramLabel = "FILE",
      description = "A second file, stored as the secondary stream.")
  String secondary;

  @Option(
      names = "--name",
      paramLabel = "NAME",
      description = "File name of the primary stream in a mount (default: INPUT's name).")
  String name;

  @Option(
      names = "--codec",
      paramLabel = "CODEC",
      defaultValue = "lz4",
      description = "lz4, zstd or none (default: ${DEFAULT-VALUE}).")
  String codec;

  @Option(
      names = "--level",
      paramLabel = "N",
      description = "Compression level (lz4: 0 fast, 1-17 HC; zstd: -7..22, default 3).")
  Integer level;

  @Option(
      names = "--block-size",
      paramLabel = "SIZE",
      converter = SizeConverter.class,
      description = "Block size, a power of two from 4K to 1M (default: 64K, or the parent's).")
  Long blockSize;

  @Option(
      names = "--dict",
      paramLabel = "WHEN",
      defaultValue = "auto",
      description =
          "Train a zstd dictionary from a sample of INPUT: auto (zstd level 6 and up), on, off"
              + " (default: ${DEFAULT-VALUE}).")
  String dict;

  @Option(
      names = "--parent",
      paramLabel = "SNAP",
      description =
          "Write a thin snapshot: blocks unchanged from SNAP's at the same position are stored as"
              + " references to it.")
  String parent;

  @Mixin ParentSearch parentSearch;

  @Mixin KeyOptions keys;

  @Mixin TrustOptions trust;

  @Mixin SignOption sign;

  @Option(
      names = "--encrypt",
      description =
          "Seal every block, index page and the footer with AES-256-GCM under the first"
              + " --key-file or --passphrase-env (Argon2id) given.")
  boolean encrypt;

  @Option(
      names = "--threads",
      hidden = true,
      paramLabel = "N",
      description = "Compression threads (default: one per core).")
  Integer threads;

  @Option(names = "--json", description = "Print the result as one JSON object.")
  boolean json;

  @Override
  public Integer call() throws Exception {
    KeyRing ring = keys.ring();
    if (encrypt && ring.isEmpty()) {
      throw new UsageException(NO_SEALING_KEY);
    }
    Path in = InputFiles.image(input);
    // stdout is checked first: nothing is worth doing if it is a terminal
    WritableByteChannel stdout = Outputs.isStdout(output) ? Outputs.stdout() : null;
    Path out = stdout != null ? null : Outputs.outputFile(output);
    sign.check(out);
    List<Pack.Input> inputs = new ArrayList<>();
    String primaryName = name != null ? name : in.getFileName().toString();
    if (!Header.isValidStreamName(primaryName)) {
      throw new UsageException("--name '" + primaryName + "' cannot be a file name in a mount");
    }
    inputs.add(new Pack.Input(in, primaryName));
    if (secondary != null) {
      Path sec = InputFiles.image(secondary);
      String secName = sec.getFileName().toString();
      if (secName.equals(primaryName)) {
        throw new UsageException(
            secondary
                + ": the secondary stream would have the same name as the primary ('"
                + secName
                + "'); rename one or use --name");
      }
      inputs.add(new Pack.Input(sec, secName));
    }
    for (Pack.Input i : inputs) {
      if (out != null && Files.exists(out) && Files.isSameFile(i.path(), out)) {
        throw new UsageException(output + ": output would overwrite input " + i.path());
      }
    }
    if (encrypt && FullJit.capped() && !Aead.nativeAvailable()) {
      // without libcrypto, AES-GCM is the JDK's, which runs without the CPU's AES instructions at
      // tier 1, about 100 times slower
      if (global.debug) {
        System.err.println("cairn: encrypting; packing in a JVM with C2");
      }
      return FullJit.rerun(originalArgs(), ring);
    }
    SnapshotChain parentChain = null;
    String parentHint = null;
    if (parent != null) {
      if (RemoteByteSource.isRemote(parent)) {
        throw new UsageException(
            parent
                + ": --parent must be a local snapshot file (a child records its parent's path"
                + " relative to itself); download the parent next to the output first");
      }
      Path parentPath = InputFiles.regularFile(parent, "snapshot");
      sign.checkParent(parentPath);
      parentChain = Snapshots.openChain(parent, parentSearch.dirs(), ring, trust.trust());
      if (blockSize != null && blockSize != parentChain.top().header().blockSize()) {
        parentChain.close();
        throw new UsageException(
            "--block-size "
                + blockSize
                + " differs from the parent's "
                + parentChain.top().header().blockSize()
                + "; a thin snapshot uses its parent's block size");
      }
      if (out != null && Files.exists(out) && Files.isSameFile(parentPath, out)) {
        parentChain.close();
        throw new UsageException(output + ": output would overwrite its parent " + parent);
      }
      blockSize = (long) parentChain.top().header().blockSize();
      boolean sha256 = parentChain.top().header().contentHash() == HashAlgorithm.SHA256_128;
      boolean sealedParent = Snapshots.encrypted(parentChain);
      if ((sha256 || (sealedParent && !Aead.nativeAvailable())) && FullJit.capped()) {
        // the child hashes with its parent's SHA-256, which only C2 runs at the CPU's speed; an
        // encrypted parent's index pages (and any block read) open with AES-GCM, likewise when it
        // is the JDK's (no libcrypto)
        parentChain.close();
        if (global.debug) {
          System.err.println(
              "cairn: the parent "
                  + (sha256 ? "hashes with SHA-256" : "is encrypted")
                  + "; packing in a JVM with C2");
        }
        return FullJit.rerun(originalArgs(), ring);
      }
      if (sealedParent && !encrypt) {
        System.err.println(
            "cairn: warning: "
                + parent
                + " is encrypted but the new snapshot will not be (add --encrypt to seal it)");
      }
      // a snapshot streamed to stdout is expected to be stored next to its parent
      parentHint =
          out == null
              ? parentPath.getFileName().toString()
              : out.getParent().relativize(parentPath.toAbsolutePath().normalize()).toString();
    }
    try (SnapshotChain closeLater = parentChain) {
      return pack(
          inputs,
          in,
          out,
          stdout,
          total(inputs),
          closeLater == null ? null : closeLater.top(),
          parentHint);
    }
  }

  /** What {@code --encrypt} without a key option says. */
  static final String NO_SEALING_KEY =
      "--encrypt needs a key: give --key-file FILE or --passphrase-env VAR (the first one given"
          + " seals the new snapshot)";

  private List<String> originalArgs() {
    return spec.root().commandLine().getParseResult().originalArgs();
  }

  private static long total(List<Pack.Input> inputs) throws java.io.IOException {
    long total = 0;
    for (Pack.Input i : inputs) {
      total += InputFiles.size(i.path());
    }
    return total;
  }

  private int pack(
      List<Pack.Input> inputs,
      Path in,
      Path out,
      WritableByteChannel stdout,
      long total,
      Snapshot parentSnap,
      String parentHint)
      throws Exception {
    WriterOptions options = options();
    if (encrypt) {
      options = options.withSealing(keys.ring().newSealing(new SecureRandom()));
    }
    if (parentSnap != null) {
      options = options.withParent(parentSnap.header(), parentHint);
    }
    long t0 = System.nanoTime();
    byte[] dictionary =
        wantsDictionary(options) ? DictionaryTrainer.train(in, options.blockSize()) : null;
    SnapshotWriter.Result result;
    try (Progress progress = Progress.start("pack", total, json)) {
      result =
          out == null
              ? Pack.run(inputs, stdout, options, dictionary, parentSnap, progress)
              : Pack.run(inputs, out, options, dictionary, parentSnap, progress);
    }
    long nanos = System.nanoTime() - t0;
    Map<String, Object> signed = new LinkedHashMap<>();
    String signedText = out == null ? "" : sign.sign(out, parentSearch.dirs(), json, signed);
    // with the snapshot on stdout, the report goes to stderr
    PrintStream report = out == null ? System.err : System.out;
    if (json) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("output", out == null ? "-" : out.toString());
      m.put("snapshot_id", result.header().snapshotId().toString());
      m.put("input_bytes", total);
      m.put("output_bytes", result.fileSize());
      m.put("codec", options.codec().displayName());
      m.put("level", options.level());
      m.put("block_size", options.blockSize());
      m.put("dictionary_bytes", dictionary == null ? 0 : dictionary.length);
      m.put("parent_id", parentSnap == null ? null : parentSnap.header().snapshotId().toString());
      m.put("encryption", EncryptionJson.of(result.header().encryption()));
      m.putAll(signed);
      m.put("seconds", nanos / 1e9);
      report.println(Json.of(m));
    } else {
      report.printf(
          Locale.ROOT,
          "packed %s (%s) into %s: %s, %.1f%% of input, %s, %s%s%s%n",
          inputs.size() == 1 ? input : input + " + " + secondary,
          Human.bytes(total),
          out == null ? "standard output" : output,
          Human.bytes(result.fileSize()),
          total == 0 ? 100.0 : 100.0 * result.fileSize() / total,
          Human.seconds(nanos),
          Human.rate(total, nanos),
          options.encrypted() ? ", encrypted (" + result.header().encryption() + ")" : "",
          signedText);
    }
    return ExitCode.OK;
  }

  private boolean wantsDictionary(WriterOptions options) throws UsageException {
    boolean zstd = options.codec() == CodecType.ZSTD;
    return switch (dict) {
      case "off" -> false;
      case "on" -> {
        if (!zstd) {
          throw new UsageException("--dict on needs --codec zstd");
        }
        yield true;
      }
      case "auto" -> zstd && options.level() >= 6;
      default -> throw new UsageException("--dict '" + dict + "' is not one of auto, on, off");
    };
  }

  private WriterOptions options() throws UsageException {
    CodecChoice choice = CodecChoice.of(codec, level, CodecType.LZ4, CodecType.LZ4.defaultLevel());
    long blockSize = this.blockSize == null ? 65536 : this.blockSize;
    if (Long.bitCount(blockSize) != 1 || blockSize < 4096 || blockSize > (1 << 20)) {
      throw new UsageException(
          "--block-size " + blockSize + " must be a power of two from 4K to 1M");
    }
    WriterOptions o =
        WriterOptions.defaults()
            .withCodec(choice.type(), choice.level())
            .withBlockSizeLog2(Long.numberOfTrailingZeros(blockSize));
    if (threads != null) {
      if (threads < 1 || threads > 256) {
        throw new UsageException("--threads must be 1..256");
      }
      o = o.withThreads(threads);
    }
    return o;
  }
}
