package dev.cairn.format;

import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * Computes the content hash stored in each block entry: the first 16 bytes of SHA-256 of the
 * block's logical bytes (SHA-256 runs on the CPU's SHA extensions on these machines, so it costs
 * little next to compression). Not thread-safe: one per thread.
 */
public final class ContentHasher {
  private final MessageDigest digest;
  private final byte[] full = new byte[32];

  public ContentHasher() {
    try {
      digest = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java runtime has SHA-256", e);
    }
  }

  /** Hashes {@code buf}'s remaining bytes without moving its position. */
  public byte[] hash(ByteBuffer buf) {
    digest.update(buf.duplicate());
    try {
      digest.digest(full, 0, 32);
    } catch (java.security.DigestException e) {
      throw new IllegalStateException(e);
    }
    byte[] out = new byte[BlockEntry.HASH_LENGTH];
    System.arraycopy(full, 0, out, 0, out.length);
    return out;
  }
}
