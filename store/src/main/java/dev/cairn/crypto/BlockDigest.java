package dev.cairn.crypto;

import dev.cairn.config.Tuning;
import java.nio.ByteBuffer;
import java.util.Objects;

/**
 * A 32-byte cryptographic digest of a block's stored bytes, for reads that verify what they fetch:
 * SHA-256 or BLAKE3-256 ({@link Algorithm}), both offered so the read path's choice can be made
 * from measurement ({@code DigestBenchmark} in reader-core).
 *
 * <p>SHA-256 runs in OpenSSL's libcrypto where it can be loaded and passes a known-answer self-test
 * ({@link OpenSslSha256}: full speed whatever the JIT, so a C1-only serving process needs no C2 for
 * it), else in the JDK ({@link JdkSha256}: fast only under C2, where its intrinsics are); both give
 * the same digest. System property {@code cairn.crypto=jdk} forces the JDK, as it does for {@link
 * Aead}. BLAKE3 runs in Bouncy Castle (pure Java).
 *
 * <p>Thread-safe: immutable; every engine keeps its scratch state per thread.
 */
public final class BlockDigest {
  /** Bytes in every digest, whatever the algorithm. */
  public static final int LENGTH = 32;

  /** The hash functions offered. */
  public enum Algorithm {
    /** SHA-256 (FIPS 180-4). */
    SHA256,
    /** BLAKE3 with a 256-bit output. */
    BLAKE3
  }

  private final Algorithm algorithm;
  private final DigestEngine engine;

  private BlockDigest(Algorithm algorithm, DigestEngine engine) {
    this.algorithm = algorithm;
    this.engine = engine;
  }

  /** {@code algorithm} through the best implementation this process has. */
  public static BlockDigest of(Algorithm algorithm) {
    return switch (algorithm) {
      case SHA256 ->
          new BlockDigest(
              algorithm, nativeSha256Available() ? OpenSslSha256.INSTANCE : JdkSha256.INSTANCE);
      case BLAKE3 -> new BlockDigest(algorithm, Blake3.INSTANCE);
    };
  }

  /** SHA-256 through the JDK, whatever libcrypto offers. */
  static BlockDigest jdkSha256() {
    return new BlockDigest(Algorithm.SHA256, JdkSha256.INSTANCE);
  }

  /** SHA-256 through libcrypto; fails if libcrypto cannot be used. */
  static BlockDigest openSslSha256() {
    if (!OpenSslSha256.available()) {
      throw new IllegalStateException("libcrypto is not available");
    }
    return new BlockDigest(Algorithm.SHA256, OpenSslSha256.INSTANCE);
  }

  /**
   * Whether SHA-256 runs in libcrypto: then a process needs no C2 for it. False when libcrypto
   * cannot be loaded, fails its self-test, or {@code cairn.crypto=jdk}.
   */
  public static boolean nativeSha256Available() {
    return !Tuning.current().jdkCrypto() && OpenSslSha256.available();
  }

  /** Which hash function this computes. */
  public Algorithm algorithm() {
    return algorithm;
  }

  /** "openssl" or "jdk" for SHA-256, "bc" for BLAKE3: which implementation computes it. */
  public String implementation() {
    return engine.name();
  }

  /**
   * Writes the digest of {@code in}'s remaining bytes to {@code out[offset, offset + 32)}. {@code
   * in}'s position moves to its limit; its limit and contents do not change. Nothing is read or
   * written when {@code out} has no room.
   */
  public void digest(ByteBuffer in, byte[] out, int offset) {
    Objects.requireNonNull(in, "in");
    Objects.checkFromIndexSize(offset, LENGTH, out.length);
    engine.digest(in, out, offset);
  }

  /** The digest of {@code in}'s remaining bytes; {@code in}'s position moves to its limit. */
  public byte[] digest(ByteBuffer in) {
    byte[] out = new byte[LENGTH];
    digest(in, out, 0);
    return out;
  }
}
