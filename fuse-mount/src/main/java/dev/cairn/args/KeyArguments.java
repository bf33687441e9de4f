package dev.cairn.args;

import dev.cairn.crypto.KeyRing;
import dev.cairn.crypto.KeySource;
import dev.cairn.error.UsageException;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * The key options a user gave ({@code --key-file FILE}, {@code --passphrase-env VAR}, in the order
 * given) turned into a {@link KeyRing}, and the ring's hand-off to a process this one starts: over
 * its standard input, never its command line or environment. Failures are one-line {@link
 * UsageException}s naming the file or variable. Stateless.
 */
public final class KeyArguments {
  private KeyArguments() {}

  /** One key option as given: a key file's path or a passphrase variable's name. */
  public sealed interface Given {
    /** {@code --key-file FILE}. */
    record KeyFile(Path path) implements Given {}

    /** {@code --passphrase-env VAR}. */
    record PassphraseEnv(String variable) implements Given {}
  }

  /**
   * Reads every key file and passphrase variable in {@code given}, in order, so that a bad one is
   * reported before any work starts.
   */
  public static KeyRing ring(List<Given> given) throws UsageException {
    List<KeySource> sources = new ArrayList<>(given.size());
    for (Given g : given) {
      if (g instanceof Given.KeyFile f) {
        sources.add(KeySource.KeyFile.read(f.path()));
      } else {
        sources.add(KeySource.Passphrase.fromEnvironment(((Given.PassphraseEnv) g).variable()));
      }
    }
    return KeyRing.of(sources);
  }

  /**
   * Writes {@code keys} (and the derivations made so far) to {@code stdin} of a process this one
   * started, and closes it.
   */
  public static void send(KeyRing keys, OutputStream stdin) throws IOException {
    try (DataOutputStream out = new DataOutputStream(stdin)) {
      keys.writeTo(out);
    }
  }

  /** Reads what {@link #send} wrote, from this process's standard input. */
  public static KeyRing receive(InputStream stdin) throws IOException {
    return KeyRing.readFrom(new DataInputStream(stdin));
  }

  /**
   * Removes from {@code env} (a child process's environment) every variable holding one of {@code
   * keys}' passphrases, so that it does not reach the child through {@code /proc/PID/environ}: the
   * child gets them through {@link #send}.
   */
  public static void scrub(Map<String, String> env, KeyRing keys) {
    List<byte[]> secrets = new ArrayList<>();
    for (KeySource s : keys.sources()) {
      if (s instanceof KeySource.Passphrase p) {
        secrets.add(p.utf8());
      }
    }
    if (secrets.isEmpty()) {
      return;
    }
    env.entrySet()
        .removeIf(
            e -> {
              byte[] v = e.getValue().getBytes(StandardCharsets.UTF_8);
              return secrets.stream().anyMatch(s -> Arrays.equals(s, v));
            });
  }
}
