package dev.cairn.cli;

import dev.cairn.args.TrustArguments;
import dev.cairn.error.UsageException;
import dev.cairn.sign.Trust;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;

/**
 * {@code --trust PUB} (repeatable): the public keys whose signature every snapshot read must carry.
 * Mixed into each command that reads a snapshot's data.
 *
 * <p>Not thread-safe: filled by picocli and read by the command's thread.
 */
public final class TrustOptions {
  @Option(
      names = "--trust",
      paramLabel = "PUB",
      description =
          "Read only snapshots signed by this Ed25519 public key (PEM, from 'cairn keygen' or"
              + " openssl): an unsigned or otherwise signed snapshot is refused, and no byte that"
              + " does not match the signature is returned. Repeatable: any of the keys will do.")
  List<Path> files = new ArrayList<>();

  private Trust trust;

  /** The trusted keys, read on first use; {@link Trust#NONE} without the option. */
  Trust trust() throws UsageException {
    if (trust == null) {
      trust = TrustArguments.read(files);
    }
    return trust;
  }
}
