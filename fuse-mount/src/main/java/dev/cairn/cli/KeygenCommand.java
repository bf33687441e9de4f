package dev.cairn.cli;

import dev.cairn.error.ExitCode;
import dev.cairn.error.UsageException;
import dev.cairn.sign.KeyFiles;
import dev.cairn.sign.SigningKey;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code cairn keygen}: a new Ed25519 key pair for signing snapshots, as {@code NAME.key} (the
 * private key, 0600) and {@code NAME.pub} (the public key, 0644), both PEM that openssl reads too.
 * Never overwrites either file.
 */
@Command(
    name = "keygen",
    mixinStandardHelpOptions = true,
    description = {
      "Make an Ed25519 key pair for signing snapshots: NAME.key (private, mode 0600) and NAME.pub"
          + " (public, mode 0644), PEM files that openssl reads too.",
      "Refuses to overwrite either file."
    })
final class KeygenCommand implements Callable<Integer> {
  @Mixin GlobalOptions global;

  @Option(
      names = {"-o", "--output"},
      required = true,
      paramLabel = "NAME",
      description = "Where to write the pair: NAME.key and NAME.pub.")
  String name;

  @Option(names = "--json", description = "Print the result as one JSON object.")
  boolean json;

  @Override
  public Integer call() throws Exception {
    if (name.isEmpty() || name.equals("-")) {
      throw new UsageException(
          "-o '" + name + "': give a NAME; keygen writes the files NAME.key and NAME.pub");
    }
    String keyName = name + ".key";
    String pubName = name + ".pub";
    KeyFiles.refuseExisting(Path.of(keyName));
    KeyFiles.refuseExisting(Path.of(pubName));
    Path key = Outputs.outputFile(keyName);
    Path pub = Outputs.outputFile(pubName);
    SigningKey pair = SigningKey.generate(new SecureRandom());
    KeyFiles.writePair(pair, key, pub);
    if (json) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("private_key", keyName);
      m.put("public_key", pubName);
      m.put("key_id", pair.id().hex());
      m.put("algorithm", "ed25519");
      System.out.println(Json.of(m));
    } else {
      System.out.println(
          "wrote " + keyName + " and " + pubName + " (key id " + pair.id().hex() + ")");
    }
    return ExitCode.OK;
  }
}
