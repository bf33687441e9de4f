package dev.cairn.cli;

import dev.cairn.args.KeyArguments;
import dev.cairn.crypto.KeyRing;
import dev.cairn.error.UsageException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;

/**
 * The key options of every command that reads block data: {@code --key-file FILE} and {@code
 * --passphrase-env VAR}, both repeatable, kept in the order given across the two (the secrets are
 * tried in that order on each encrypted snapshot, and the first one seals a new one). Mixed into
 * each such command.
 *
 * <p>A {@code pack} that runs itself again with both JIT tiers ({@link FullJit}) hands its key ring
 * to the new JVM over a pipe ({@link Main}); the options are then not read again, because the
 * passphrase variables are not in that JVM's environment.
 *
 * <p>Not thread-safe: filled by picocli and read by the command's thread.
 */
public final class KeyOptions {
  /** A ring handed over by the process that started this one, or null. */
  private static volatile KeyRing inherited;

  private final List<KeyArguments.Given> given = new ArrayList<>();
  private int keyFiles;
  private int passphraseVars;
  private KeyRing ring;

  /** Uses {@code keys} instead of the options (set once, at start-up, before any command runs). */
  static void inherit(KeyRing keys) {
    inherited = keys;
  }

  // picocli calls a multi-value option's setter with every value so far at each occurrence; the
  // new ones are appended to the common list, which keeps the order across both options
  @Option(
      names = "--key-file",
      paramLabel = "FILE",
      description =
          "Key of an encrypted snapshot: a file of 32 bytes or 64 hex digits (make one with"
              + " 'head -c 32 /dev/urandom > FILE'). Repeatable; keys are tried in the order given.")
  void keyFiles(List<Path> values) {
    for (; keyFiles < values.size(); keyFiles++) {
      given.add(new KeyArguments.Given.KeyFile(values.get(keyFiles)));
    }
  }

  @Option(
      names = "--passphrase-env",
      paramLabel = "VAR",
      description =
          "Read a passphrase from environment variable VAR (never from the command line)."
              + " Repeatable, like --key-file.")
  void passphraseVars(List<String> values) {
    for (; passphraseVars < values.size(); passphraseVars++) {
      given.add(new KeyArguments.Given.PassphraseEnv(values.get(passphraseVars)));
    }
  }

  /** Whether any key option was given. */
  boolean any() {
    return inherited != null ? !inherited.isEmpty() : !given.isEmpty();
  }

  /** The options as given, in order (for tests and messages). */
  List<KeyArguments.Given> given() {
    return List.copyOf(given);
  }

  /** The secrets, read on first use: a bad key file or an unset variable is a usage error. */
  KeyRing ring() throws UsageException {
    if (inherited != null) {
      return inherited;
    }
    if (ring == null) {
      ring = KeyArguments.ring(given);
    }
    return ring;
  }
}
