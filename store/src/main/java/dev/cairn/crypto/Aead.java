package dev.cairn.crypto;

import dev.cairn.config.Tuning;
import java.nio.ByteBuffer;

/**
 * AES-256-GCM under one key: seals a buffer into ciphertext followed by a 16-byte tag, and opens it
 * again only if the tag proves that neither the ciphertext nor the associated data changed. Callers
 * choose the 12-byte nonce and must never seal two different plaintexts under one key with the same
 * nonce; each caller documents how it guarantees that.
 *
 * <p>The work is done by OpenSSL's libcrypto where it can be loaded ({@link OpenSslAead}: full
 * speed whatever the JIT, so C1-only processes need no C2 for it), else by the JDK's provider
 * ({@link JdkAead}: fast only under C2). Both are standard GCM, so either opens what the other
 * sealed; system property {@code cairn.crypto=jdk} forces the JDK (for comparison and tests).
 *
 * <p>Thread-safe.
 */
public final class Aead {
  public static final int KEY_LENGTH = 32;
  public static final int NONCE_LENGTH = 12;
  public static final int TAG_LENGTH = 16;

  private final AeadEngine engine;

  private Aead(AeadEngine engine) {
    this.engine = engine;
  }

  /** An AEAD under the 32-byte {@code key} (copied), with the best engine this process has. */
  public static Aead of(byte[] key) {
    checkKey(key);
    return new Aead(nativeAvailable() ? new OpenSslAead(key) : new JdkAead(key.clone()));
  }

  /** An AEAD under {@code key} through the JDK's provider, whatever libcrypto offers. */
  static Aead jdk(byte[] key) {
    checkKey(key);
    return new Aead(new JdkAead(key.clone()));
  }

  /** An AEAD under {@code key} through libcrypto; fails if {@link #nativeAvailable()} is false. */
  static Aead openSsl(byte[] key) {
    checkKey(key);
    if (!OpenSslAead.available()) {
      throw new IllegalStateException("libcrypto is not available");
    }
    return new Aead(new OpenSslAead(key));
  }

  /**
   * Whether sealing runs in libcrypto: then a process needs no C2 for it. False when libcrypto
   * cannot be loaded or {@code cairn.crypto=jdk}.
   */
  public static boolean nativeAvailable() {
    return !Tuning.current().jdkCrypto() && OpenSslAead.available();
  }

  /** "openssl" or "jdk": which implementation this AEAD uses. */
  public String implementation() {
    return engine.name();
  }

  private static void checkKey(byte[] key) {
    if (key.length != KEY_LENGTH) {
      throw new IllegalArgumentException("AES-256 needs a 32-byte key, not " + key.length);
    }
  }

  /**
   * Seals {@code in}'s remaining bytes into {@code out}: as many bytes of ciphertext, then the tag.
   * {@code in} and {@code out} must not overlap. Both positions advance.
   */
  public void seal(byte[] nonce, byte[] aad, ByteBuffer in, ByteBuffer out) {
    checkNonce(nonce);
    engine.seal(nonce, aad, in, out);
  }

  /**
   * Opens {@code in}'s remaining bytes (ciphertext then tag) into {@code out}, which receives
   * {@code in.remaining() - 16} bytes. Returns false, with {@code out}'s contents unspecified, when
   * the bytes or the associated data are not what was sealed (or {@code in} is shorter than a tag).
   */
  public boolean open(byte[] nonce, byte[] aad, ByteBuffer in, ByteBuffer out) {
    checkNonce(nonce);
    if (in.remaining() < TAG_LENGTH) {
      return false;
    }
    return engine.open(nonce, aad, in, out);
  }

  /** The 16-byte tag authenticating {@code aad} alone (GMAC): seals an empty plaintext. */
  public byte[] tag(byte[] nonce, byte[] aad) {
    ByteBuffer out = ByteBuffer.allocate(TAG_LENGTH);
    seal(nonce, aad, ByteBuffer.allocate(0), out);
    return out.array();
  }

  /** Whether {@code tag} authenticates {@code aad} under {@code nonce}. */
  public boolean verifyTag(byte[] nonce, byte[] aad, byte[] tag) {
    return open(nonce, aad, ByteBuffer.wrap(tag), ByteBuffer.allocate(0));
  }

  private static void checkNonce(byte[] nonce) {
    if (nonce.length != NONCE_LENGTH) {
      throw new IllegalArgumentException("AES-GCM nonce of " + nonce.length + " bytes");
    }
  }
}
