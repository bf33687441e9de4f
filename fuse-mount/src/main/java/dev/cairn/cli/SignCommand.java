package dev.cairn.cli;

import dev.cairn.args.Human;
import dev.cairn.args.InputFiles;
import dev.cairn.args.Profiles;
import dev.cairn.args.Signing;
import dev.cairn.error.ExitCode;
import dev.cairn.profile.AccessProfile;
import dev.cairn.sign.KeyFiles;
import dev.cairn.sign.SigningKey;
import dev.cairn.trust.Statement;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code cairn sign}: writes the detached signature of an existing local snapshot. */
@Command(
    name = "sign",
    mixinStandardHelpOptions = true,
    description = {
      "Sign a snapshot with an Ed25519 key: writes SNAP.sig next to it (readers find it there, also"
          + " next to a URL). Needs no encryption key: an encrypted snapshot is signed as stored.",
      "A thin snapshot's signature binds its parent's, so sign the parent first.",
      "Given an access profile (SNAP.profile, from mount --record-profile), signs it in place (or"
          + " into -o): mounts with --trust use only signed profiles."
    })
final class SignCommand implements Callable<Integer> {
  @Mixin GlobalOptions global;

  @Mixin ParentSearch parentSearch;

  @Parameters(
      index = "0",
      paramLabel = "SNAP",
      description = "Snapshot file (or access profile) to sign.")
  String snap;

  @Option(
      names = "--key",
      required = true,
      paramLabel = "KEY",
      description = "Private key (PEM PKCS#8, from 'cairn keygen' or openssl genpkey).")
  Path key;

  @Option(
      names = {"-o", "--output"},
      paramLabel = "SIG",
      description = "Where to write the signature (default: SNAP.sig).")
  String output;

  @Option(names = "--json", description = "Print the result as one JSON object.")
  boolean json;

  @Override
  public Integer call() throws Exception {
    SigningKey signingKey = KeyFiles.readPrivate(key);
    Path file = InputFiles.regularFile(snap, "snapshot");
    if (Profiles.isProfile(file)) {
      return signProfile(file, signingKey);
    }
    Path out = output != null ? Outputs.outputFile(output) : Signing.defaultOutput(file);
    long t0 = System.nanoTime();
    Statement st;
    try (Progress progress = Progress.start("sign", Files.size(file), json)) {
      st = Signing.sign(file, signingKey, parentSearch.dirs(), out, progress);
    }
    long nanos = System.nanoTime() - t0;
    if (json) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("snapshot", snap);
      m.put("signature", out.toString());
      m.put("key_id", signingKey.id().hex());
      m.put("snapshot_id", st.snapshot().toString());
      m.put("parent_id", st.parent().isNone() ? null : st.parent().toString());
      m.put("bytes_signed", st.fileSize());
      System.out.println(Json.of(m));
    } else {
      System.out.printf(
          "%s: signed with key %s (%s in %s), wrote %s%n",
          snap, signingKey.id().hex(), Human.bytes(st.fileSize()), Human.seconds(nanos), out);
    }
    return ExitCode.OK;
  }

  private int signProfile(Path file, SigningKey signingKey) throws java.io.IOException {
    Path out = output != null ? Outputs.outputFile(output) : file;
    AccessProfile p = Profiles.sign(file, signingKey, out);
    if (json) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("profile", out.toString());
      m.put("key_id", signingKey.id().hex());
      m.put("snapshot_id", p.snapshot().toString());
      m.put("blocks", p.blocks());
      System.out.println(Json.of(m));
    } else {
      System.out.printf(
          "%s: profile of snapshot %s (%d blocks) signed with key %s, wrote %s%n",
          snap, p.snapshot(), p.blocks(), signingKey.id().hex(), out);
    }
    return ExitCode.OK;
  }
}
