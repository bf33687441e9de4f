package dev.cairn.format;

import dev.cairn.crypto.KeyDerivation;
import java.util.Arrays;
import java.util.Objects;

/**
 * The encryption parameters recorded in a header: which cipher seals the blocks, how the master key
 * comes from the user's secret, and the key-check value that tells a wrong key from damage before
 * any block is opened. {@link #NONE} for a plain snapshot. Immutable (arrays are copied in and
 * out).
 *
 * @param cipher {@link #CIPHER_NONE} or {@link #CIPHER_AES_256_GCM}
 * @param kdf how the master key is derived; null exactly when the cipher is none
 * @param keyCheck 16 bytes of HKDF output from the master key and snapshot id ({@link
 *     SnapshotSeal#keyCheck}); zero for a plain snapshot
 */
public record Encryption(int cipher, KeyDerivation kdf, byte[] keyCheck) {
  public static final int CIPHER_NONE = 0;
  public static final int CIPHER_AES_256_GCM = 1;
  public static final int KEY_CHECK_LENGTH = 16;
  public static final Encryption NONE = new Encryption(CIPHER_NONE, null, new byte[16]);

  public Encryption {
    if (keyCheck.length != KEY_CHECK_LENGTH) {
      throw new IllegalArgumentException("the key check is 16 bytes");
    }
    if ((cipher == CIPHER_NONE) != (kdf == null)) {
      throw new IllegalArgumentException("a key derivation exactly when there is a cipher");
    }
    keyCheck = keyCheck.clone();
  }

  public boolean enabled() {
    return cipher != CIPHER_NONE;
  }

  @Override
  public byte[] keyCheck() {
    return keyCheck.clone();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Encryption e
        && cipher == e.cipher
        && Objects.equals(kdf, e.kdf)
        && Arrays.equals(keyCheck, e.keyCheck);
  }

  @Override
  public int hashCode() {
    return 31 * cipher + Arrays.hashCode(keyCheck);
  }

  /** "none", or the cipher and what opens it, e.g. "AES-256-GCM, key file". Nothing secret. */
  @Override
  public String toString() {
    return enabled() ? "AES-256-GCM, " + kdf.describe() : "none";
  }
}
