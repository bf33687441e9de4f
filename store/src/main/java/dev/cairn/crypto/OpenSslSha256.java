package dev.cairn.crypto;

import com.kenai.jffi.MemoryIO;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;

/**
 * SHA-256 through OpenSSL's libcrypto ({@code SHA256_Init/Update/Final}, or one-shot {@code
 * EVP_Digest} where those are missing), called with jnr-ffi. libcrypto uses the CPU's SHA
 * instructions (or its own vectorised code) whatever the JIT does, so a process that runs C1 only,
 * as a mount's serving process does, hashes each block it reads at full speed; the JDK's SHA-256
 * needs C2 for its intrinsics.
 *
 * <p>Direct buffers are passed by address; heap buffers are copied through a per-thread direct
 * scratch buffer. libcrypto is loaded once ({@link LibCrypto}); if it cannot be, or it fails the
 * FIPS 180 known answer or disagrees with the JDK, {@link #available()} is false and {@link
 * BlockDigest} uses the JDK instead.
 *
 * <p>Thread-safe: {@code EVP_Digest} keeps no state between calls, and each thread has its own
 * scratch memory.
 */
final class OpenSslSha256 implements DigestEngine {
  static final OpenSslSha256 INSTANCE = new OpenSslSha256();

  /**
   * Resolved on first use; {@code CRYPTO} null where libcrypto cannot be used, {@code SHA} null
   * where it lacks SHA-256's own functions (then {@code EVP_Digest} hashes).
   */
  private static final class Lib {
    static final long SHA256 = LibCrypto.resolve(LibCrypto.Functions::EVP_sha256);
    static final LibCrypto.Functions CRYPTO = SHA256 == 0 ? null : LibCrypto.FUNCTIONS;
    static final LibCrypto.Sha256Functions SHA = CRYPTO == null ? null : LibCrypto.SHA256_FUNCTIONS;
  }

  /** Whether SHA-256's own functions hash, rather than {@code EVP_Digest}. */
  static boolean usesSha256Functions() {
    return Lib.SHA != null;
  }

  /** Whether libcrypto loaded and passes the self-test. Checked once. */
  static boolean available() {
    return SelfTest.OK;
  }

  private static final class SelfTest {
    static final boolean OK = run();

    private static boolean run() {
      if (Lib.CRYPTO == null) {
        return false;
      }
      try {
        // FIPS 180-2, appendix B.1: SHA-256("abc")
        byte[] abc = "abc".getBytes(StandardCharsets.US_ASCII);
        byte[] expected =
            HexFormat.of()
                .parseHex("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        byte[] got = new byte[BlockDigest.LENGTH];
        INSTANCE.digest(ByteBuffer.allocateDirect(3).put(abc).flip(), got, 0);
        if (!Arrays.equals(got, expected)) {
          return false;
        }
        // a longer message, from a heap buffer, against the JDK: more than one compression block
        byte[] data = new byte[1000];
        for (int i = 0; i < data.length; i++) {
          data[i] = (byte) (i * 7);
        }
        byte[] jdk = new byte[BlockDigest.LENGTH];
        JdkSha256.INSTANCE.digest(ByteBuffer.wrap(data), jdk, 0);
        INSTANCE.digest(ByteBuffer.wrap(data), got, 0);
        return Arrays.equals(got, jdk);
      } catch (RuntimeException | LinkageError e) {
        return false;
      }
    }
  }

  /**
   * A thread's scratch memory: the digest's output, a {@code SHA256_CTX} (112 bytes in OpenSSL 1.1
   * and 3), and a copy of heap input.
   */
  private static final class ThreadState {
    final ByteBuffer md = ByteBuffer.allocateDirect(BlockDigest.LENGTH);
    final long mdAddress = MemoryIO.getInstance().getDirectBufferAddress(md);
    final ByteBuffer ctx = ByteBuffer.allocateDirect(256);
    final long ctxAddress = MemoryIO.getInstance().getDirectBufferAddress(ctx);
    ByteBuffer in = ByteBuffer.allocateDirect(0);

    /** {@code b}'s bytes from its position at a native address (copied if {@code b} is heap). */
    long input(ByteBuffer b) {
      if (b.isDirect()) {
        return MemoryIO.getInstance().getDirectBufferAddress(b) + b.position();
      }
      if (in.capacity() < b.remaining()) {
        in = ByteBuffer.allocateDirect(Math.max(b.remaining(), 2 * in.capacity()));
      }
      in.clear().put(b.duplicate());
      return MemoryIO.getInstance().getDirectBufferAddress(in);
    }
  }

  private static final ThreadLocal<ThreadState> STATE = ThreadLocal.withInitial(ThreadState::new);

  private OpenSslSha256() {}

  @Override
  public void digest(ByteBuffer in, byte[] out, int offset) {
    ThreadState st = STATE.get();
    int n = in.remaining();
    long src = st.input(in);
    LibCrypto.Sha256Functions sha = Lib.SHA;
    boolean ok =
        sha != null
            ? sha.SHA256_Init(st.ctxAddress) == 1
                && sha.SHA256_Update(st.ctxAddress, src, n) == 1
                && sha.SHA256_Final(st.mdAddress, st.ctxAddress) == 1
            : Lib.CRYPTO.EVP_Digest(src, n, st.mdAddress, null, Lib.SHA256, null) == 1;
    if (!ok) {
      throw new IllegalStateException("OpenSSL SHA-256 failed");
    }
    in.position(in.limit());
    st.md.get(0, out, offset, BlockDigest.LENGTH);
  }

  @Override
  public String name() {
    return "openssl";
  }
}
