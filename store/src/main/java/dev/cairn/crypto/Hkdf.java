package dev.cairn.crypto;

import org.bouncycastle.crypto.digests.SHA256Digest;
import org.bouncycastle.crypto.generators.HKDFBytesGenerator;
import org.bouncycastle.crypto.params.HKDFParameters;

/**
 * HKDF-SHA256 (RFC 5869): independent sub-keys from one secret, separated by salt and info, so a
 * key-check value reveals nothing of the key that seals data, and every snapshot or overlay seals
 * under a key of its own.
 *
 * <p>Stateless; thread-safe.
 */
public final class Hkdf {
  private Hkdf() {}

  /** {@code length} bytes of HKDF-SHA256 output for {@code ikm}, {@code salt} and {@code info}. */
  public static byte[] derive(byte[] ikm, byte[] salt, byte[] info, int length) {
    HKDFBytesGenerator g = new HKDFBytesGenerator(new SHA256Digest());
    g.init(new HKDFParameters(ikm, salt, info));
    byte[] out = new byte[length];
    g.generateBytes(out, 0, length);
    return out;
  }
}
