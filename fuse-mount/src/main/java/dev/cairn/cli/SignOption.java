package dev.cairn.cli;

import dev.cairn.args.Signing;
import dev.cairn.error.UsageException;
import dev.cairn.sign.KeyFiles;
import dev.cairn.sign.SigningKey;
import dev.cairn.trust.SignatureFile;
import dev.cairn.trust.Statement;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Option;

/**
 * {@code --sign KEY} of the commands that write a snapshot ({@code pack}, {@code commit}): signs
 * the file once it is complete, writing {@code OUT.sig} as {@code cairn sign} would. The key is
 * read before any work starts, so a bad key file costs nothing.
 *
 * <p>Not thread-safe: filled by picocli and used by the command's thread.
 */
public final class SignOption {
  @Option(
      names = "--sign",
      paramLabel = "KEY",
      description =
          "Sign the snapshot written with this Ed25519 private key (PEM): writes OUT.sig next to"
              + " it.")
  Path keyFile;

  private SigningKey key;

  /**
   * Reads the key if one was given; a snapshot streamed to standard output ({@code out} null)
   * cannot be signed here.
   */
  void check(Path out) throws UsageException {
    if (keyFile == null) {
      return;
    }
    if (out == null) {
      throw new UsageException(
          "--sign needs an output file; sign the stored snapshot later with 'cairn sign'");
    }
    key = KeyFiles.readPrivate(keyFile);
  }

  /**
   * With {@code --sign}, refuses a thin output over {@code parent} that has no signature, before
   * anything is written: a child's signature binds its parent's.
   */
  void checkParent(Path parent) throws UsageException {
    if (key == null || parent == null) {
      return;
    }
    Path sig = SignatureFile.siblingOf(parent);
    if (!Files.isRegularFile(sig)) {
      throw new UsageException(
          parent
              + ": the parent is not signed (no "
              + sig.getFileName()
              + "); a signed child binds its parent's signature: sign the parent first");
    }
  }

  /**
   * Signs {@code out} if {@code --sign} was given, adding what was signed to {@code json}; returns
   * the text to add to the command's report line ("" if not signed).
   */
  String sign(Path out, List<Path> searchDirs, boolean quiet, Map<String, Object> json)
      throws IOException {
    if (key == null) {
      return "";
    }
    Path sig = Signing.defaultOutput(out);
    Statement st;
    try (Progress progress = Progress.start("sign", Files.size(out), quiet)) {
      st = Signing.sign(out, key, searchDirs, sig, progress);
    }
    json.put("signature", sig.toString());
    json.put("signed_by", key.id().hex());
    json.put("signed_bytes", st.fileSize());
    return ", signed by key " + key.id().hex() + " (" + sig.getFileName() + ")";
  }
}
