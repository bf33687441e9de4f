package dev.cairn.crypto;

import dev.cairn.os.NativeLibrary;
import java.util.function.ToLongFunction;
import jnr.ffi.Pointer;
import jnr.ffi.types.intptr_t;
import jnr.ffi.types.size_t;

/**
 * OpenSSL's libcrypto, loaded once per process for every engine of this package that runs in it
 * (AES-GCM in {@link OpenSslAead}, SHA-256 in {@link OpenSslSha256}), so the library is looked up
 * and bound a single time. Each engine still checks the functions it uses with its own known-answer
 * self-test before it is chosen.
 *
 * <p>Thread-safe: the binding is immutable and libcrypto's functions used here are reentrant.
 */
final class LibCrypto {
  /** The libcrypto entry points Cairn uses; pointers are passed as addresses. */
  public interface Functions {
    @intptr_t
    long EVP_CIPHER_CTX_new();

    void EVP_CIPHER_CTX_free(@intptr_t long ctx);

    @intptr_t
    long EVP_aes_256_gcm();

    int EVP_EncryptInit_ex(
        @intptr_t long ctx,
        @intptr_t long cipher,
        @intptr_t long engine,
        @intptr_t long key,
        @intptr_t long iv);

    int EVP_EncryptUpdate(
        @intptr_t long ctx, @intptr_t long out, @intptr_t long outl, @intptr_t long in, int inl);

    int EVP_EncryptFinal_ex(@intptr_t long ctx, @intptr_t long out, @intptr_t long outl);

    int EVP_DecryptInit_ex(
        @intptr_t long ctx,
        @intptr_t long cipher,
        @intptr_t long engine,
        @intptr_t long key,
        @intptr_t long iv);

    int EVP_DecryptUpdate(
        @intptr_t long ctx, @intptr_t long out, @intptr_t long outl, @intptr_t long in, int inl);

    int EVP_DecryptFinal_ex(@intptr_t long ctx, @intptr_t long out, @intptr_t long outl);

    int EVP_CIPHER_CTX_ctrl(@intptr_t long ctx, int type, int arg, @intptr_t long ptr);

    @intptr_t
    long EVP_sha256();

    /**
     * One-shot digest of {@code count} bytes at {@code data} into {@code md}; {@code size} and
     * {@code engine} are always null. Those two are declared as {@link Pointer} because jnr-ffi's
     * generated stub for six {@code long} arguments passes them wrongly (libcrypto crashed on the
     * self-test's first call); with them as pointers it binds through another path.
     */
    int EVP_Digest(
        @intptr_t long data,
        @size_t long count,
        @intptr_t long md,
        Pointer size,
        @intptr_t long type,
        Pointer engine);
  }

  /**
   * SHA-256's own functions, bound apart from {@link Functions}: OpenSSL 3 marks them deprecated
   * and a build may leave them out, which must not cost the rest of the library. They hash with no
   * per-call context allocation or algorithm fetch, which {@code EVP_Digest} does every call: 2.4
   * against 2.8 µs per 4 KiB here, 2.5 against 3.3 µs of CPU with four threads on two cores (a
   * throwaway C program against libcrypto 3.0).
   */
  public interface Sha256Functions {
    int SHA256_Init(@intptr_t long ctx);

    int SHA256_Update(@intptr_t long ctx, @intptr_t long data, @size_t long count);

    int SHA256_Final(@intptr_t long md, @intptr_t long ctx);
  }

  /** The bound library, or null where libcrypto cannot be loaded. Loaded on first use. */
  static final Functions FUNCTIONS = load(Functions.class);

  /** SHA-256's own functions, or null where libcrypto lacks them. */
  static final Sha256Functions SHA256_FUNCTIONS =
      FUNCTIONS == null ? null : load(Sha256Functions.class);

  private LibCrypto() {}

  /**
   * The address {@code getter} returns from the bound library (an {@code EVP_CIPHER} or {@code
   * EVP_MD}), or 0 where libcrypto is not loaded or the call fails.
   */
  static long resolve(ToLongFunction<Functions> getter) {
    if (FUNCTIONS == null) {
      return 0;
    }
    try {
      return getter.applyAsLong(FUNCTIONS);
    } catch (RuntimeException | LinkageError e) {
      return 0;
    }
  }

  private static <T> T load(Class<T> functions) {
    // "crypto" finds libcrypto.so (a development symlink); the runtime package has only the
    // versioned names
    return NativeLibrary.bind(functions, "crypto", "libcrypto.so.3", "libcrypto.so.1.1");
  }
}
