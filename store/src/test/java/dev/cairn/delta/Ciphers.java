package dev.cairn.delta;

/** The record ciphers store tests run under: plain, and AES-256-GCM under fixed test keys. */
final class Ciphers {
  private Ciphers() {}

  /** A fixed 32-byte test key; {@code seed} tells keys apart. */
  static byte[] key(int seed) {
    byte[] k = new byte[32];
    for (int i = 0; i < k.length; i++) {
      k[i] = (byte) (i * 13 + seed);
    }
    return k;
  }

  /** Sealed under test key 1, or plain. */
  static RecordCipher of(boolean sealed) {
    return sealed ? RecordCipher.aesGcm(key(1)) : RecordCipher.NONE;
  }
}
