package dev.cairn.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.cairn.args.KeyArguments;
import dev.cairn.args.KeyArguments.Given;
import dev.cairn.crypto.KeyRing;
import dev.cairn.crypto.KeySource;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class KeyOptionsTest {
  @Test
  void keyOptionsKeepTheOrderGivenAcrossBothOptions() {
    CatCommand cat = new CatCommand();
    new CommandLine(cat)
        .parseArgs(
            "s.cairn",
            "--key-file",
            "a.key",
            "--passphrase-env",
            "P",
            "--key-file=b.key",
            "--passphrase-env",
            "Q");
    assertEquals(
        List.of(
            new Given.KeyFile(Path.of("a.key")),
            new Given.PassphraseEnv("P"),
            new Given.KeyFile(Path.of("b.key")),
            new Given.PassphraseEnv("Q")),
        cat.keys.given());
    CatCommand none = new CatCommand();
    new CommandLine(none).parseArgs("s.cairn");
    assertFalse(none.keys.any());
  }

  @Test
  void aChildsEnvironmentLosesEveryVariableHoldingAPassphrase() {
    KeyRing ring =
        KeyRing.of(
            List.of(
                new KeySource.KeyFile("key file k", new byte[32]),
                new KeySource.Passphrase(
                    "passphrase from $P", "s3cret words".getBytes(StandardCharsets.UTF_8))));
    Map<String, String> env = new HashMap<>();
    env.put("P", "s3cret words");
    env.put("COPY", "s3cret words");
    env.put("PATH", "/usr/bin");
    env.put("LONGER", "s3cret words and more");
    KeyArguments.scrub(env, ring);
    assertEquals(Map.of("PATH", "/usr/bin", "LONGER", "s3cret words and more"), env);
  }
}
