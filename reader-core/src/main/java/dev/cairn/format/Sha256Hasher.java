package dev.cairn.format;

import java.nio.ByteBuffer;
import java.security.DigestException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/** {@link HashAlgorithm#SHA256_128}: the first 16 bytes of SHA-256. Not thread-safe. */
final class Sha256Hasher implements ContentHasher {
  private final MessageDigest digest;
  private final byte[] full = new byte[32];

  Sha256Hasher() {
    try {
      digest = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java runtime has SHA-256", e);
    }
  }

  @Override
  public byte[] hash(ByteBuffer buf) {
    digest.update(buf.duplicate());
    try {
      digest.digest(full, 0, 32);
    } catch (DigestException e) {
      throw new IllegalStateException(e);
    }
    byte[] out = new byte[BlockEntry.HASH_LENGTH];
    System.arraycopy(full, 0, out, 0, out.length);
    return out;
  }
}
