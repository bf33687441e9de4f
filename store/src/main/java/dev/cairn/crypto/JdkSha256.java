package dev.cairn.crypto;

import java.nio.ByteBuffer;
import java.security.DigestException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * SHA-256 through the JDK's provider: present on every JVM, but fast only where C2 compiles it with
 * the SHA intrinsics, so it is {@link BlockDigest}'s fallback where libcrypto cannot be used.
 *
 * <p>Thread-safe: each thread has its own {@link MessageDigest}.
 */
final class JdkSha256 implements DigestEngine {
  static final JdkSha256 INSTANCE = new JdkSha256();

  private static final ThreadLocal<MessageDigest> DIGEST =
      ThreadLocal.withInitial(JdkSha256::newDigest);

  private JdkSha256() {}

  private static MessageDigest newDigest() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      // every Java SE platform must provide SHA-256
      throw new IllegalStateException(e);
    }
  }

  @Override
  public void digest(ByteBuffer in, byte[] out, int offset) {
    MessageDigest md = DIGEST.get();
    md.update(in);
    try {
      md.digest(out, offset, BlockDigest.LENGTH);
    } catch (DigestException e) {
      // BlockDigest checked the room, and SHA-256 is 32 bytes
      throw new IllegalStateException(e);
    }
  }

  @Override
  public String name() {
    return "jdk";
  }
}
