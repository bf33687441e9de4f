package dev.cairn.os;

import jnr.ffi.LibraryLoader;

/**
 * Binds an interface of native functions with jnr-ffi, every symbol at once, or not at all: each of
 * Cairn's few native calls (libc's {@code madvise}, {@code posix_fadvise}, {@code fcntl} leases,
 * {@code setpriority}, {@code waitpid}; libcrypto's digests and AEAD) is an optimisation or has a
 * fallback, so a library or function that is missing must cost that one feature, never a failure.
 *
 * <p>Thread-safe: stateless.
 */
public final class NativeLibrary {
  private NativeLibrary() {}

  /**
   * {@code functions} bound to the first of {@code names} that loads with every function the
   * interface declares; null where none does.
   */
  public static <T> T bind(Class<T> functions, String... names) {
    for (String name : names) {
      try {
        return LibraryLoader.create(functions).failImmediately().load(name);
      } catch (RuntimeException | LinkageError e) {
        // the next name, or none
      }
    }
    return null;
  }

  /**
   * Whether this is Linux on an architecture with the generic constants ({@code fcntl} commands,
   * {@code open} flags, signal numbers) that callers pass as numbers: x86-64, AArch64, RISC-V 64,
   * not MIPS, SPARC or Alpha.
   */
  public static boolean genericLinux() {
    String arch = System.getProperty("os.arch", "");
    return "Linux".equals(System.getProperty("os.name"))
        && (arch.equals("amd64") || arch.equals("aarch64") || arch.equals("riscv64"));
  }

  /** {@code functions} bound to the C library; null where it cannot be. */
  public static <T> T libc(Class<T> functions) {
    return bind(functions, "c");
  }
}
