package dev.cairn.format;

import java.nio.ByteBuffer;

/**
 * Computes the content hash stored in each block entry, with one {@link HashAlgorithm}. Not
 * thread-safe: one per thread ({@link HashAlgorithm#newHasher()}).
 */
public sealed interface ContentHasher permits Sha256Hasher, Xxh3Hasher {

  /** Hashes {@code buf}'s remaining bytes without moving its position; returns 16 bytes. */
  byte[] hash(ByteBuffer buf);
}
