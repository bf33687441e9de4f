package dev.cairn.crypto;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.cairn.error.MissingKeyException;
import dev.cairn.error.UsageException;
import dev.cairn.error.WrongKeyException;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Key files, passphrases and the ring a command tries them from. */
class KeyRingTest {
  @TempDir Path dir;

  static byte[] key(int seed) {
    byte[] k = new byte[32];
    Arrays.fill(k, (byte) seed);
    return k;
  }

  @Test
  void aKeyFileIsThirtyTwoBytesOrSixtyFourHexDigits() throws IOException {
    Path raw = Files.write(dir.resolve("raw.key"), key(7));
    assertArrayEquals(key(7), KeySource.KeyFile.read(raw).key());
    assertEquals("key file " + raw, KeySource.KeyFile.read(raw).label());
    String hex = HexFormat.of().formatHex(key(9));
    Path h = Files.writeString(dir.resolve("hex.key"), hex + "\n");
    assertArrayEquals(key(9), KeySource.KeyFile.read(h).key());
    Path upper = Files.writeString(dir.resolve("upper.key"), hex.toUpperCase());
    assertArrayEquals(key(9), KeySource.KeyFile.read(upper).key());
  }

  @Test
  void aBadKeyFileIsOneLineNamingIt() throws IOException {
    Path shortKey = Files.write(dir.resolve("short.key"), new byte[31]);
    UsageException e = assertThrows(UsageException.class, () -> KeySource.KeyFile.read(shortKey));
    assertEquals(
        shortKey
            + ": 31 bytes; a key file holds 32 bytes or 64 hex digits (make one with"
            + " 'head -c 32 /dev/urandom > FILE')",
        e.getMessage());
    Path missing = dir.resolve("missing.key");
    assertEquals(
        missing + ": no such key file",
        assertThrows(UsageException.class, () -> KeySource.KeyFile.read(missing)).getMessage());
    assertEquals(
        dir + ": not a regular file (a key file holds 32 bytes)",
        assertThrows(UsageException.class, () -> KeySource.KeyFile.read(dir)).getMessage());
    Path notHex = Files.writeString(dir.resolve("nothex.key"), "z".repeat(64));
    assertThrows(UsageException.class, () -> KeySource.KeyFile.read(notHex));
  }

  @Test
  void anUnsetOrEmptyPassphraseVariableIsNamed() {
    UsageException e =
        assertThrows(
            UsageException.class,
            () -> KeySource.Passphrase.fromEnvironment("CAIRN_TEST_SURELY_UNSET_VARIABLE"));
    assertEquals(
        "environment variable CAIRN_TEST_SURELY_UNSET_VARIABLE is not set (--passphrase-env names"
            + " a variable that holds the passphrase)",
        e.getMessage());
  }

  @Test
  void secretsNeverShowInLabelsOrStrings() {
    KeySource.Passphrase p =
        new KeySource.Passphrase("passphrase from $P", "s3cret".getBytes(UTF_8));
    KeyRing ring = KeyRing.of(List.of(p, new KeySource.KeyFile("key file k", key(0x41))));
    assertFalse(ring.toString().contains("s3cret"));
    assertFalse(p.toString().contains("s3cret"));
    assertFalse(ring.toString().contains("AAAA"));
    assertEquals("[passphrase from $P, key file k]", ring.toString());
  }

  @Test
  void unlockTriesEachSecretInOrderAndNamesWhatWasTried() throws Exception {
    KeyRing ring =
        KeyRing.of(
            List.of(
                new KeySource.KeyFile("key file a", key(1)),
                new KeySource.KeyFile("key file b", key(2))));
    KeyDerivation raw = new KeyDerivation.RawKey();
    assertArrayEquals(key(2), ring.unlock(raw, k -> k[0] == 2, "s.cairn"));
    WrongKeyException w =
        assertThrows(WrongKeyException.class, () -> ring.unlock(raw, k -> false, "s.cairn"));
    assertEquals("wrong key for s.cairn (tried key file a, key file b)", w.getMessage());
    MissingKeyException m =
        assertThrows(
            MissingKeyException.class, () -> KeyRing.NONE.unlock(raw, k -> true, "s.cairn"));
    assertEquals("s.cairn is encrypted: give --key-file or --passphrase-env", m.getMessage());
    KeyDerivation argon = new KeyDerivation.Argon2id(13, 1, 1, new byte[16]);
    WrongKeyException kind =
        assertThrows(WrongKeyException.class, () -> ring.unlock(argon, k -> true, "s.cairn"));
    assertEquals(
        "wrong key for s.cairn (tried key file a, key file b; it was sealed with a passphrase"
            + " (Argon2id, 8 MiB, 1 passes, 1 lane))",
        kind.getMessage());
  }

  @Test
  void aRingHandedOverAPipeOpensTheSameFilesWithoutDerivingAgain() throws Exception {
    KeySource.Passphrase p =
        new KeySource.Passphrase("passphrase from $P", "pipe me".getBytes(UTF_8));
    KeyRing ring = KeyRing.of(List.of(new KeySource.KeyFile("key file a", key(3)), p));
    KeyRing.Sealing sealing = KeyRing.of(List.of(p)).newSealing(new SecureRandom());
    KeyDerivation.Argon2id kdf = assertInstanceOf(KeyDerivation.Argon2id.class, sealing.kdf());
    byte[] master = ring.unlock(kdf, k -> Arrays.equals(k, sealing.masterKey()), "s");

    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    ring.writeTo(new DataOutputStream(bytes));
    KeyRing back =
        KeyRing.readFrom(new DataInputStream(new ByteArrayInputStream(bytes.toByteArray())));
    assertEquals(ring.toString(), back.toString());
    assertArrayEquals(key(3), ((KeySource.KeyFile) back.sources().get(0)).key());
    // The derivation travelled with the ring: the receiver remembers it and unlocks with it.
    assertEquals(1, ring.remembered());
    assertEquals(1, back.remembered());
    assertArrayEquals(master, back.unlock(kdf, k -> Arrays.equals(k, master), "s"));
    assertEquals(1, back.remembered());
  }

  @Test
  void aRingCutShortIsRefused() throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    KeyRing.of(List.of(new KeySource.KeyFile("key file a", key(3))))
        .writeTo(new DataOutputStream(bytes));
    byte[] all = bytes.toByteArray();
    byte[] cut = Arrays.copyOf(all, all.length - 5);
    assertThrows(
        IOException.class,
        () -> KeyRing.readFrom(new DataInputStream(new ByteArrayInputStream(cut))));
  }
}
