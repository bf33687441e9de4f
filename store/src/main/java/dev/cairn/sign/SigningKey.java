package dev.cairn.sign;

import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.interfaces.EdECPrivateKey;
import java.security.spec.InvalidKeySpecException;
import java.security.spec.NamedParameterSpec;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Arrays;
import org.bouncycastle.crypto.params.Ed25519PrivateKeyParameters;

/**
 * An Ed25519 private key and its public half: what {@code cairn keygen} makes and a signing command
 * ({@code --sign KEY}) signs with. {@code toString} shows the key id, never key bytes.
 *
 * <p>Immutable; thread-safe ({@link #sign} uses a fresh {@link Signature} each call).
 */
public final class SigningKey {
  private static final int SEED_LENGTH = 32;

  // PrivateKeyInfo (PKCS#8 v1) of an Ed25519 key (RFC 8410): SEQUENCE { INTEGER 0, SEQUENCE { OID
  // 1.3.101.112 }, OCTET STRING { OCTET STRING (32 bytes) } }, as openssl writes it
  private static final byte[] PKCS8_PREFIX = {
    0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20
  };

  private final PrivateKey key;
  private final TrustedKey publicKey;

  private SigningKey(PrivateKey key, TrustedKey publicKey) {
    this.key = key;
    this.publicKey = publicKey;
  }

  /** A new key pair from {@code random}. */
  public static SigningKey generate(SecureRandom random) {
    try {
      KeyPairGenerator g = KeyPairGenerator.getInstance("Ed25519");
      g.initialize(NamedParameterSpec.ED25519, random);
      var pair = g.generateKeyPair();
      return new SigningKey(pair.getPrivate(), TrustedKey.fromSpki(pair.getPublic().getEncoded()));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("the JDK 17 has Ed25519", e);
    }
  }

  /**
   * The key whose PKCS#8 PrivateKeyInfo DER is {@code pkcs8} (what a {@code PRIVATE KEY} PEM file
   * holds); its public half is computed from it.
   *
   * @throws InvalidKeySpecException if it is not a well-formed Ed25519 private key
   */
  public static SigningKey fromPkcs8(byte[] pkcs8) throws InvalidKeySpecException {
    PrivateKey key;
    try {
      key = KeyFactory.getInstance("Ed25519").generatePrivate(new PKCS8EncodedKeySpec(pkcs8));
    } catch (InvalidKeySpecException e) {
      throw e;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("the JDK 17 has Ed25519", e);
    }
    byte[] seed =
        ((EdECPrivateKey) key)
            .getBytes()
            .orElseThrow(() -> new InvalidKeySpecException("an Ed25519 private key without bytes"));
    try {
      if (seed.length != SEED_LENGTH) {
        throw new InvalidKeySpecException("an Ed25519 private key is 32 bytes");
      }
      // the JDK 17 has no way to compute a private key's public half; Bouncy Castle has
      byte[] raw = new Ed25519PrivateKeyParameters(seed, 0).generatePublicKey().getEncoded();
      return new SigningKey(key, TrustedKey.fromRaw(raw));
    } finally {
      Arrays.fill(seed, (byte) 0);
    }
  }

  /** The public half. */
  public TrustedKey publicKey() {
    return publicKey;
  }

  /** The id of the public half. */
  public KeyId id() {
    return publicKey.id();
  }

  /**
   * The PKCS#8 PrivateKeyInfo DER (a new array the caller should clear after use), in the short
   * form openssl writes and reads: version 0, no attributes, no public key.
   */
  public byte[] pkcs8() {
    byte[] seed = ((EdECPrivateKey) key).getBytes().orElseThrow();
    byte[] der = Arrays.copyOf(PKCS8_PREFIX, PKCS8_PREFIX.length + SEED_LENGTH);
    System.arraycopy(seed, 0, der, PKCS8_PREFIX.length, SEED_LENGTH);
    Arrays.fill(seed, (byte) 0);
    return der;
  }

  /** The 64-byte Ed25519 signature (RFC 8032, pure, no context) of {@code message}. */
  public byte[] sign(byte[] message) {
    try {
      Signature s = Signature.getInstance("Ed25519");
      s.initSign(key);
      s.update(message);
      return s.sign();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("the JDK 17 has Ed25519", e);
    }
  }

  @Override
  public String toString() {
    return "Ed25519 signing key " + publicKey.id();
  }
}
