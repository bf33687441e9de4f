package dev.cairn.crypto;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

class KeyDerivationTest {
  static final byte[] SALT = "cairn-salt-16byt".getBytes(StandardCharsets.US_ASCII);
  static final byte[] PASSPHRASE = "correct horse battery staple".getBytes(StandardCharsets.UTF_8);

  /**
   * Expected values from the reference implementation (Debian's {@code argon2} 20190702): {@code
   * printf 'correct horse battery staple' | argon2 cairn-salt-16byt -id -t 3 -m 16 -p 1 -l 32 -r},
   * and with {@code -t 1 -m 13 -p 2}.
   */
  @Test
  void argon2idMatchesTheReferenceImplementation() {
    HexFormat hex = HexFormat.of();
    assertEquals(
        "d8b31b9e29f544bbdae3982e02c726aa8767a58ea10352533accb9dc2c4a65c3",
        hex.formatHex(new KeyDerivation.Argon2id(16, 3, 1, SALT).derive(PASSPHRASE)));
    assertEquals(
        "66dd0bc192c4db8affea3691af5b8fa1494cb52ae782e22dbd0324ccbbdfcb0f",
        hex.formatHex(new KeyDerivation.Argon2id(13, 1, 2, SALT).derive(PASSPHRASE)));
  }

  @Test
  void costsOutsideTheBoundsAreRefusedByName() {
    assertNull(KeyDerivation.Argon2id.refusal(16, 3, 1));
    assertNull(KeyDerivation.Argon2id.refusal(13, 1, 1));
    assertNull(KeyDerivation.Argon2id.refusal(20, 32, 16));
    assertEquals(
        "Argon2id memory 2^12 KiB (this cairn accepts 8 MiB to 1 GiB)",
        KeyDerivation.Argon2id.refusal(12, 3, 1));
    assertEquals(
        "Argon2id memory 2^21 KiB (this cairn accepts 8 MiB to 1 GiB)",
        KeyDerivation.Argon2id.refusal(21, 3, 1));
    assertEquals("Argon2id iterations 33 (1 to 32)", KeyDerivation.Argon2id.refusal(16, 33, 1));
    assertEquals(
        "Argon2id iterations 4294967295 (1 to 32)", KeyDerivation.Argon2id.refusal(16, -1, 1));
    assertEquals("Argon2id parallelism 0 (1 to 16)", KeyDerivation.Argon2id.refusal(16, 3, 0));
  }

  @Test
  void describesWhatTheUserNeedsWithoutSecrets() {
    assertEquals("key file", new KeyDerivation.RawKey().describe());
    assertEquals(
        "passphrase (Argon2id, 64 MiB, 3 passes, 1 lane)",
        new KeyDerivation.Argon2id(16, 3, 1, SALT).describe());
  }
}
