package dev.cairn.sign;

import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.Signature;
import java.security.SignatureException;
import java.security.spec.InvalidKeySpecException;
import java.security.spec.X509EncodedKeySpec;
import java.util.Arrays;

/**
 * An Ed25519 public key: what a reader is told to trust ({@code --trust}) and checks signatures
 * with. Two instances are equal when they hold the same key. {@code toString} shows the key id
 * only.
 *
 * <p>Immutable; thread-safe ({@link #verify} uses a fresh {@link Signature} each call).
 */
public final class TrustedKey {
  /** Bytes of an Ed25519 public key. */
  public static final int RAW_LENGTH = 32;

  /** Bytes of an Ed25519 signature. */
  public static final int SIGNATURE_LENGTH = 64;

  // SubjectPublicKeyInfo of an Ed25519 key (RFC 8410): SEQUENCE { SEQUENCE { OID 1.3.101.112 },
  // BIT STRING (0 unused bits) } followed by the 32 key bytes
  private static final byte[] SPKI_PREFIX = {
    0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00
  };

  private final byte[] spki;
  private final PublicKey key;
  private final KeyId id;

  private TrustedKey(byte[] spki, PublicKey key) {
    this.spki = spki;
    this.key = key;
    this.id = KeyId.of(spki);
  }

  /**
   * The key whose SubjectPublicKeyInfo DER is {@code spki}.
   *
   * @throws InvalidKeySpecException if it is not a well-formed Ed25519 public key
   */
  public static TrustedKey fromSpki(byte[] spki) throws InvalidKeySpecException {
    byte[] copy = spki.clone();
    if (copy.length != SPKI_PREFIX.length + RAW_LENGTH
        || !Arrays.equals(copy, 0, SPKI_PREFIX.length, SPKI_PREFIX, 0, SPKI_PREFIX.length)) {
      // the canonical encoding only, so that one key has one id
      throw new InvalidKeySpecException("not the DER of an Ed25519 SubjectPublicKeyInfo");
    }
    try {
      return new TrustedKey(
          copy, KeyFactory.getInstance("Ed25519").generatePublic(new X509EncodedKeySpec(copy)));
    } catch (InvalidKeySpecException e) {
      throw e;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("the JDK 17 has Ed25519", e);
    }
  }

  /** The key whose 32 raw bytes (RFC 8032's encoding of the point) are {@code raw}. */
  public static TrustedKey fromRaw(byte[] raw) throws InvalidKeySpecException {
    if (raw.length != RAW_LENGTH) {
      throw new InvalidKeySpecException("an Ed25519 public key is 32 bytes");
    }
    byte[] spki = Arrays.copyOf(SPKI_PREFIX, SPKI_PREFIX.length + RAW_LENGTH);
    System.arraycopy(raw, 0, spki, SPKI_PREFIX.length, RAW_LENGTH);
    return fromSpki(spki);
  }

  /** The key's id. */
  public KeyId id() {
    return id;
  }

  /** The SubjectPublicKeyInfo DER (a copy): what a {@code PUBLIC KEY} PEM file holds. */
  public byte[] spki() {
    return spki.clone();
  }

  /** The 32 raw key bytes (a copy). */
  public byte[] raw() {
    return Arrays.copyOfRange(spki, SPKI_PREFIX.length, spki.length);
  }

  /**
   * Whether {@code signature} is this key's Ed25519 signature of {@code message}. False for a
   * signature of any other length or any other key, never an exception.
   */
  public boolean verify(byte[] message, byte[] signature) {
    if (signature.length != SIGNATURE_LENGTH) {
      return false;
    }
    try {
      Signature s = Signature.getInstance("Ed25519");
      s.initVerify(key);
      s.update(message);
      return s.verify(signature);
    } catch (SignatureException e) {
      return false;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("the JDK 17 has Ed25519", e);
    }
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof TrustedKey t && Arrays.equals(spki, t.spki);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(spki);
  }

  @Override
  public String toString() {
    return "Ed25519 public key " + id;
  }
}
