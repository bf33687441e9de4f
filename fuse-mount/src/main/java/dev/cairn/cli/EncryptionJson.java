package dev.cairn.cli;

import dev.cairn.crypto.KeyDerivation;
import dev.cairn.format.Encryption;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The {@code encryption} object of the {@code --json} reports of {@code info}, {@code pack} and
 * {@code commit}: the cipher and the key derivation with its costs, never key material (not even
 * the salt or the key check, which would only help a guesser). Stateless.
 */
final class EncryptionJson {
  private EncryptionJson() {}

  /** The object for {@code e}, or null for a plain snapshot. */
  static Map<String, Object> of(Encryption e) {
    if (!e.enabled()) {
      return null;
    }
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("cipher", "AES-256-GCM");
    if (e.kdf() instanceof KeyDerivation.Argon2id a) {
      m.put("kdf", "argon2id");
      m.put("memory_kib", 1L << a.memoryLog2KiB());
      m.put("iterations", a.iterations());
      m.put("parallelism", a.parallelism());
    } else {
      m.put("kdf", "key-file");
    }
    m.put("description", e.toString());
    return m;
  }
}
