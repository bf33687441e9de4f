package dev.cairn.crypto;

import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import java.security.InvalidKeyException;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * AES-256-GCM under one key: seals a buffer into ciphertext followed by a 16-byte tag, and opens it
 * again only if the tag proves that neither the ciphertext nor the associated data changed. Callers
 * choose the 12-byte nonce and must never seal two different plaintexts under one key with the same
 * nonce; each caller documents how it guarantees that.
 *
 * <p>Uses the JDK's provider (its AES and GHASH intrinsics). Thread-safe: each thread keeps its own
 * {@link Cipher}; the key is immutable.
 */
public final class Aead {
  public static final int KEY_LENGTH = 32;
  public static final int NONCE_LENGTH = 12;
  public static final int TAG_LENGTH = 16;

  private static final String TRANSFORMATION = "AES/GCM/NoPadding";

  private final SecretKeySpec key;
  private final ThreadLocal<Cipher> ciphers;

  private Aead(byte[] key) {
    if (key.length != KEY_LENGTH) {
      throw new IllegalArgumentException("AES-256 needs a 32-byte key, not " + key.length);
    }
    this.key = new SecretKeySpec(key, "AES");
    this.ciphers =
        ThreadLocal.withInitial(
            () -> {
              try {
                return Cipher.getInstance(TRANSFORMATION);
              } catch (GeneralSecurityException e) {
                throw new IllegalStateException("this JDK has no " + TRANSFORMATION, e);
              }
            });
  }

  /** An AEAD under the 32-byte {@code key} (copied). */
  public static Aead of(byte[] key) {
    return new Aead(key.clone());
  }

  /**
   * Seals {@code in}'s remaining bytes into {@code out}: as many bytes of ciphertext, then the tag.
   * {@code in} and {@code out} must not overlap. Both positions advance.
   */
  public void seal(byte[] nonce, byte[] aad, ByteBuffer in, ByteBuffer out) {
    Cipher c = init(Cipher.ENCRYPT_MODE, nonce, aad);
    try {
      c.doFinal(in, out);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-GCM sealing failed", e);
    }
  }

  /**
   * Opens {@code in}'s remaining bytes (ciphertext then tag) into {@code out}, which receives
   * {@code in.remaining() - 16} bytes. Returns false, with {@code out}'s contents unspecified, when
   * the bytes or the associated data are not what was sealed (or {@code in} is shorter than a tag).
   */
  public boolean open(byte[] nonce, byte[] aad, ByteBuffer in, ByteBuffer out) {
    if (in.remaining() < TAG_LENGTH) {
      return false;
    }
    Cipher c = init(Cipher.DECRYPT_MODE, nonce, aad);
    try {
      c.doFinal(in, out);
      return true;
    } catch (AEADBadTagException e) {
      return false;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-GCM opening failed", e);
    }
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

  private Cipher init(int mode, byte[] nonce, byte[] aad) {
    if (nonce.length != NONCE_LENGTH) {
      throw new IllegalArgumentException("AES-GCM nonce of " + nonce.length + " bytes");
    }
    Cipher c = ciphers.get();
    try {
      c.init(mode, key, new GCMParameterSpec(TAG_LENGTH * 8, nonce));
    } catch (InvalidKeyException e) {
      throw new IllegalStateException("AES-256 key refused", e);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-GCM parameters refused", e);
    }
    c.updateAAD(aad);
    return c;
  }
}
