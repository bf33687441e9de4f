package dev.cairn.crypto;

import java.nio.ByteBuffer;

/**
 * One implementation of AES-256-GCM behind {@link Aead}: the JDK's provider, or OpenSSL's libcrypto
 * through jnr-ffi. Both compute standard GCM (96-bit nonce, 128-bit tag), so either opens what the
 * other sealed. A closed set: {@link Aead} chooses, nothing else does.
 *
 * <p>Implementations are thread-safe.
 */
sealed interface AeadEngine permits JdkAead, OpenSslAead {
  /** Seals {@code in}'s remaining bytes into {@code out} (ciphertext, then the tag). */
  void seal(byte[] nonce, byte[] aad, ByteBuffer in, ByteBuffer out);

  /** Opens {@code in} (ciphertext then tag) into {@code out}; false if it does not authenticate. */
  boolean open(byte[] nonce, byte[] aad, ByteBuffer in, ByteBuffer out);

  /** "openssl" or "jdk", for logs and statistics. */
  String name();
}
