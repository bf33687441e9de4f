package dev.cairn.crypto;

import java.nio.ByteBuffer;

/**
 * One implementation of a 32-byte digest behind {@link BlockDigest}: SHA-256 in libcrypto or in the
 * JDK, or BLAKE3-256 in Bouncy Castle. A closed set: {@link BlockDigest} chooses, nothing else
 * does.
 *
 * <p>Implementations are thread-safe.
 */
sealed interface DigestEngine permits OpenSslSha256, JdkSha256, Blake3 {
  /**
   * Hashes {@code in}'s remaining bytes into {@code out[offset, offset + 32)} (checked by the
   * caller) and moves {@code in}'s position to its limit.
   */
  void digest(ByteBuffer in, byte[] out, int offset);

  /** "openssl", "jdk" or "bc", for logs, statistics and benchmarks. */
  String name();
}
