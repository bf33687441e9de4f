package dev.cairn.crypto;

import com.kenai.jffi.MemoryIO;
import java.lang.ref.Cleaner;
import java.nio.BufferOverflowException;
import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * AES-256-GCM through OpenSSL's libcrypto (EVP interface), called with jnr-ffi. libcrypto uses the
 * CPU's AES and carry-less multiply instructions whatever the JIT does, so a process that runs C1
 * only (a mount's serving process, {@code pack}) seals and opens at full speed from its first
 * block, where the JDK's provider needs C2 and a warm-up of some 64 MiB ({@code
 * scripts/bench/jmh.sh AeadBenchmark}).
 *
 * <p>Direct buffers are passed by address; heap buffers (index pages, footers: small and rare) are
 * copied through a per-thread direct scratch buffer. libcrypto is loaded once ({@link LibCrypto});
 * if it cannot be, or its result for a known answer differs from the JDK's, {@link #available()} is
 * false and {@link Aead} uses the JDK instead.
 *
 * <p>Thread-safe: each thread has its own {@code EVP_CIPHER_CTX} (freed when the thread's state is
 * collected); the key lives in direct memory owned by this object and is never changed.
 */
final class OpenSslAead implements AeadEngine {
  private static final int EVP_CTRL_GCM_GET_TAG = 0x10;
  private static final int EVP_CTRL_GCM_SET_TAG = 0x11;
  private static final Cleaner CLEANER = Cleaner.create();

  /** Resolved on first use; {@code CRYPTO} null where libcrypto cannot be used. */
  private static final class Lib {
    static final long GCM = LibCrypto.resolve(LibCrypto.Functions::EVP_aes_256_gcm);
    static final LibCrypto.Functions CRYPTO = GCM == 0 ? null : LibCrypto.FUNCTIONS;
  }

  /** Whether libcrypto loaded and agrees with the JDK on a known answer. Checked once. */
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
        byte[] key = new byte[Aead.KEY_LENGTH];
        byte[] nonce = new byte[Aead.NONCE_LENGTH];
        byte[] aad = new byte[28];
        for (int i = 0; i < key.length; i++) {
          key[i] = (byte) (i * 13 + 1);
        }
        byte[] plain = new byte[1000];
        for (int i = 0; i < plain.length; i++) {
          plain[i] = (byte) (i * 7);
        }
        ByteBuffer a = ByteBuffer.allocateDirect(plain.length + Aead.TAG_LENGTH);
        ByteBuffer b = ByteBuffer.allocate(plain.length + Aead.TAG_LENGTH);
        new OpenSslAead(key).seal(nonce, aad, ByteBuffer.wrap(plain), a);
        new JdkAead(key).seal(nonce, aad, ByteBuffer.wrap(plain), b);
        byte[] fromOpenSsl = new byte[a.flip().remaining()];
        a.get(fromOpenSsl);
        if (!Arrays.equals(fromOpenSsl, b.array())) {
          return false;
        }
        ByteBuffer back = ByteBuffer.allocateDirect(plain.length);
        return new OpenSslAead(key).open(nonce, aad, ByteBuffer.wrap(fromOpenSsl), back)
            && back.flip().equals(ByteBuffer.wrap(plain));
      } catch (RuntimeException | LinkageError e) {
        return false;
      }
    }
  }

  /** A thread's cipher context and scratch memory. */
  private static final class ThreadState {
    final long ctx;
    final ByteBuffer small = ByteBuffer.allocateDirect(64); // nonce at 0, out-length at 16
    final long smallAddress = MemoryIO.getInstance().getDirectBufferAddress(small);
    ByteBuffer aad = ByteBuffer.allocateDirect(256);
    ByteBuffer in = ByteBuffer.allocateDirect(0);
    ByteBuffer out = ByteBuffer.allocateDirect(0);

    ThreadState() {
      LibCrypto.Functions c = Lib.CRYPTO;
      long x = c.EVP_CIPHER_CTX_new();
      if (x == 0) {
        throw new OutOfMemoryError("EVP_CIPHER_CTX_new");
      }
      this.ctx = x;
      CLEANER.register(this, () -> c.EVP_CIPHER_CTX_free(x));
    }

    long nonce(byte[] nonce) {
      small.put(0, nonce);
      return smallAddress;
    }

    long outLength() {
      return smallAddress + 16;
    }

    long aad(byte[] bytes) {
      if (aad.capacity() < bytes.length) {
        aad = ByteBuffer.allocateDirect(Math.max(bytes.length, 2 * aad.capacity()));
      }
      aad.clear().put(bytes);
      return address(aad, 0);
    }

    /** {@code b}'s bytes from its position at a native address (copied if {@code b} is heap). */
    long input(ByteBuffer b) {
      if (b.isDirect()) {
        return address(b, b.position());
      }
      if (in.capacity() < b.remaining()) {
        in = ByteBuffer.allocateDirect(Math.max(b.remaining(), 2 * in.capacity()));
      }
      in.clear().put(b.duplicate());
      return address(in, 0);
    }

    /** Where {@code length} bytes for {@code b} are written (scratch if {@code b} is heap). */
    long output(ByteBuffer b, int length) {
      if (b.remaining() < length) {
        throw new BufferOverflowException();
      }
      if (b.isDirect()) {
        return address(b, b.position());
      }
      if (out.capacity() < length) {
        out = ByteBuffer.allocateDirect(Math.max(length, 2 * out.capacity()));
      }
      return address(out, 0);
    }

    /** Moves {@code length} written bytes to a heap {@code b} and advances its position. */
    void written(ByteBuffer b, int length) {
      if (!b.isDirect()) {
        b.put(out.clear().limit(length));
      } else {
        b.position(b.position() + length);
      }
    }

    private static long address(ByteBuffer b, int position) {
      return MemoryIO.getInstance().getDirectBufferAddress(b) + position;
    }
  }

  private static final ThreadLocal<ThreadState> STATE = ThreadLocal.withInitial(ThreadState::new);

  private final ByteBuffer key;
  private final long keyAddress;

  OpenSslAead(byte[] key) {
    this.key = ByteBuffer.allocateDirect(Aead.KEY_LENGTH).put(key);
    this.keyAddress = MemoryIO.getInstance().getDirectBufferAddress(this.key);
  }

  @Override
  public void seal(byte[] nonce, byte[] aad, ByteBuffer in, ByteBuffer out) {
    LibCrypto.Functions c = Lib.CRYPTO;
    ThreadState st = STATE.get();
    int n = in.remaining();
    long dst = st.output(out, n + Aead.TAG_LENGTH);
    long src = st.input(in);
    long ctx = st.ctx;
    boolean ok = c.EVP_EncryptInit_ex(ctx, Lib.GCM, 0, keyAddress, st.nonce(nonce)) == 1;
    if (ok && aad.length > 0) {
      ok = c.EVP_EncryptUpdate(ctx, 0, st.outLength(), st.aad(aad), aad.length) == 1;
    }
    if (ok && n > 0) {
      ok = c.EVP_EncryptUpdate(ctx, dst, st.outLength(), src, n) == 1;
    }
    ok = ok && c.EVP_EncryptFinal_ex(ctx, dst + n, st.outLength()) == 1;
    ok = ok && c.EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, Aead.TAG_LENGTH, dst + n) == 1;
    if (!ok) {
      throw new IllegalStateException("OpenSSL AES-GCM sealing failed");
    }
    in.position(in.limit());
    st.written(out, n + Aead.TAG_LENGTH);
  }

  @Override
  public boolean open(byte[] nonce, byte[] aad, ByteBuffer in, ByteBuffer out) {
    LibCrypto.Functions c = Lib.CRYPTO;
    ThreadState st = STATE.get();
    int n = in.remaining() - Aead.TAG_LENGTH;
    long dst = st.output(out, n);
    long src = st.input(in);
    long ctx = st.ctx;
    boolean ok = c.EVP_DecryptInit_ex(ctx, Lib.GCM, 0, keyAddress, st.nonce(nonce)) == 1;
    if (ok && aad.length > 0) {
      ok = c.EVP_DecryptUpdate(ctx, 0, st.outLength(), st.aad(aad), aad.length) == 1;
    }
    if (ok && n > 0) {
      ok = c.EVP_DecryptUpdate(ctx, dst, st.outLength(), src, n) == 1;
    }
    ok = ok && c.EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, Aead.TAG_LENGTH, src + n) == 1;
    // Final returns 1 only if the tag matches; the plaintext written above is then released
    ok = ok && c.EVP_DecryptFinal_ex(ctx, dst + n, st.outLength()) == 1;
    if (!ok) {
      return false;
    }
    in.position(in.limit());
    st.written(out, n);
    return true;
  }

  @Override
  public String name() {
    return "openssl";
  }
}
