package dev.cairn.crypto;

import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import java.security.InvalidKeyException;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * AES-256-GCM through the JDK's provider. Fast only where C2 compiles it (its AES and GHASH
 * intrinsics; C1 alone runs it at about 18 MB/s), so it is the fallback where libcrypto cannot be
 * loaded.
 *
 * <p>Thread-safe: each thread keeps its own {@link Cipher}; the key is immutable.
 */
final class JdkAead implements AeadEngine {
  private static final String TRANSFORMATION = "AES/GCM/NoPadding";

  private final SecretKeySpec key;
  private final ThreadLocal<Cipher> ciphers =
      ThreadLocal.withInitial(
          () -> {
            try {
              return Cipher.getInstance(TRANSFORMATION);
            } catch (GeneralSecurityException e) {
              throw new IllegalStateException("this JDK has no " + TRANSFORMATION, e);
            }
          });

  JdkAead(byte[] key) {
    this.key = new SecretKeySpec(key, "AES");
  }

  @Override
  public void seal(byte[] nonce, byte[] aad, ByteBuffer in, ByteBuffer out) {
    Cipher c = init(Cipher.ENCRYPT_MODE, nonce, aad);
    try {
      c.doFinal(in, out);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-GCM sealing failed", e);
    }
  }

  @Override
  public boolean open(byte[] nonce, byte[] aad, ByteBuffer in, ByteBuffer out) {
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

  @Override
  public String name() {
    return "jdk";
  }

  private Cipher init(int mode, byte[] nonce, byte[] aad) {
    Cipher c = ciphers.get();
    try {
      c.init(mode, key, new GCMParameterSpec(Aead.TAG_LENGTH * 8, nonce));
    } catch (InvalidKeyException e) {
      throw new IllegalStateException("AES-256 key refused", e);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-GCM parameters refused", e);
    }
    c.updateAAD(aad);
    return c;
  }
}
