package dev.cairn.overlay;

import dev.cairn.delta.RecordCipher;
import dev.cairn.error.WrongKeyException;
import dev.cairn.format.SnapshotSeal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.HexFormat;

/**
 * The key of an overlay on an encrypted base, as its {@code overlay.properties} records it: a
 * random salt and a key check, nothing secret. The key itself comes from the secret that opened the
 * base (the top of its chain), through {@link SnapshotSeal#subkey}:
 *
 * <pre>
 *   overlay key = HKDF-SHA256(base master key, salt, "cairn overlay key", 32 bytes)
 *   key check   = HKDF-SHA256(base master key, salt, "cairn overlay key check", 32 bytes)[0, 16)
 * </pre>
 *
 * The salt (16 bytes, fresh for every overlay) gives every overlay a key of its own, so records
 * cannot be moved from one overlay to another made on the same base; the key check tells a wrong
 * key from damage before any record is opened, and reveals nothing of the overlay key (another HKDF
 * output). The overlay key seals every record of the overlay's store ({@link RecordCipher}).
 *
 * <p>Immutable (the arrays are copied in and out); thread-safe.
 */
public record OverlayKey(byte[] salt, byte[] keyCheck) {
  /** Bytes of salt and of key check. */
  public static final int LENGTH = 16;

  private static final byte[] KEY_INFO = "cairn overlay key".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] CHECK_INFO =
      "cairn overlay key check".getBytes(StandardCharsets.US_ASCII);
  private static final SecureRandom RANDOM = new SecureRandom();

  public OverlayKey {
    if (salt.length != LENGTH || keyCheck.length != LENGTH) {
      throw new IllegalArgumentException("overlay key salt and check are 16 bytes each");
    }
    salt = salt.clone();
    keyCheck = keyCheck.clone();
  }

  /** A new key for an overlay on the base sealed with {@code seal}: a fresh random salt. */
  static OverlayKey create(SnapshotSeal seal) {
    byte[] salt = new byte[LENGTH];
    RANDOM.nextBytes(salt);
    return new OverlayKey(salt, check(seal, salt));
  }

  /**
   * The cipher sealing the records of overlay {@code dir}, from the seal its base {@code base} was
   * opened with.
   *
   * @throws WrongKeyException if that seal's secret is not the one the overlay was made with
   */
  RecordCipher cipher(SnapshotSeal seal, Path dir, Path base) throws WrongKeyException {
    if (!MessageDigest.isEqual(check(seal, salt), keyCheck)) {
      throw new WrongKeyException("overlay " + dir, "the key that opens its base " + base);
    }
    return RecordCipher.aesGcm(seal.subkey(salt, KEY_INFO));
  }

  private static byte[] check(SnapshotSeal seal, byte[] salt) {
    return Arrays.copyOf(seal.subkey(salt, CHECK_INFO), LENGTH);
  }

  @Override
  public byte[] salt() {
    return salt.clone();
  }

  @Override
  public byte[] keyCheck() {
    return keyCheck.clone();
  }

  /** The salt as 32 hex digits, as stored. */
  String saltHex() {
    return HexFormat.of().formatHex(salt);
  }

  /** The key check as 32 hex digits, as stored. */
  String keyCheckHex() {
    return HexFormat.of().formatHex(keyCheck);
  }

  /** Parses what {@link #saltHex()} and {@link #keyCheckHex()} wrote. */
  static OverlayKey parse(String saltHex, String keyCheckHex) {
    return new OverlayKey(HexFormat.of().parseHex(saltHex), HexFormat.of().parseHex(keyCheckHex));
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof OverlayKey k
        && Arrays.equals(salt, k.salt)
        && Arrays.equals(keyCheck, k.keyCheck);
  }

  @Override
  public int hashCode() {
    return 31 * Arrays.hashCode(salt) + Arrays.hashCode(keyCheck);
  }

  @Override
  public String toString() {
    return "OverlayKey[salt=" + saltHex() + "]";
  }
}
