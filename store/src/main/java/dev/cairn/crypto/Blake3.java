package dev.cairn.crypto;

import java.nio.ByteBuffer;
import org.bouncycastle.crypto.digests.Blake3Digest;

/**
 * BLAKE3 with a 256-bit output through Bouncy Castle (pure Java, so its speed depends on the JIT
 * like the JDK's SHA-256): offered next to SHA-256 so the read path's digest can be chosen from
 * measurement ({@code DigestBenchmark}).
 *
 * <p>Thread-safe: each thread has its own digest state and copy buffer.
 */
final class Blake3 implements DigestEngine {
  static final Blake3 INSTANCE = new Blake3();

  /** A thread's digest state and the heap chunk a direct buffer's bytes are copied through. */
  private static final class ThreadState {
    final Blake3Digest digest = new Blake3Digest(8 * BlockDigest.LENGTH);
    final byte[] chunk = new byte[16 << 10];
  }

  private static final ThreadLocal<ThreadState> STATE = ThreadLocal.withInitial(ThreadState::new);

  private Blake3() {}

  @Override
  public void digest(ByteBuffer in, byte[] out, int offset) {
    ThreadState st = STATE.get();
    Blake3Digest d = st.digest;
    if (in.hasArray()) {
      d.update(in.array(), in.arrayOffset() + in.position(), in.remaining());
      in.position(in.limit());
    } else {
      while (in.hasRemaining()) {
        int n = Math.min(in.remaining(), st.chunk.length);
        in.get(st.chunk, 0, n);
        d.update(st.chunk, 0, n);
      }
    }
    // doFinal resets the state for the thread's next digest
    d.doFinal(out, offset);
  }

  @Override
  public String name() {
    return "bc";
  }
}
