package dev.cairn.format;

import java.util.Arrays;

/**
 * The encryption parameters recorded in a header: which cipher protects the blocks and how the key
 * is derived. {@link #NONE} for a plain snapshot. The key-check value lets a reader tell a wrong
 * key from corrupt data. Immutable (arrays are copied in and out).
 *
 * @param cipher 0 none, 1 AES-256-GCM
 * @param kdf 0 none, 1 raw 32-byte key file, 2 PBKDF2-HMAC-SHA256 over a passphrase
 * @param iterations KDF iteration count (0 unless {@code kdf == 2})
 * @param salt 16 bytes of KDF salt
 * @param keyCheck 16 bytes derived from the key, compared before any block is decrypted
 */
public record Encryption(int cipher, int kdf, int iterations, byte[] salt, byte[] keyCheck) {
  public static final int CIPHER_NONE = 0;
  public static final int CIPHER_AES_256_GCM = 1;
  public static final Encryption NONE = new Encryption(0, 0, 0, new byte[16], new byte[16]);

  public Encryption {
    if (salt.length != 16 || keyCheck.length != 16) {
      throw new IllegalArgumentException("salt and key check must be 16 bytes");
    }
    salt = salt.clone();
    keyCheck = keyCheck.clone();
  }

  public boolean enabled() {
    return cipher != CIPHER_NONE;
  }

  @Override
  public byte[] salt() {
    return salt.clone();
  }

  @Override
  public byte[] keyCheck() {
    return keyCheck.clone();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Encryption e
        && cipher == e.cipher
        && kdf == e.kdf
        && iterations == e.iterations
        && Arrays.equals(salt, e.salt)
        && Arrays.equals(keyCheck, e.keyCheck);
  }

  @Override
  public int hashCode() {
    return 31 * (31 * cipher + kdf) + Arrays.hashCode(salt);
  }

  @Override
  public String toString() {
    return enabled() ? "aes-256-gcm(kdf=" + kdf + ")" : "none";
  }
}
