package dev.cairn.cli;

import jnr.ffi.LibraryLoader;

/**
 * Whether a standard stream is a terminal, asked of libc's {@code isatty(3)} (jnr-ffi). {@code
 * System.console()} is no answer: it is null as soon as any of the three streams is redirected.
 * Thread-safe.
 */
final class Terminal {
  static final int STDOUT = 1;

  private Terminal() {}

  /** The libc entry point. */
  public interface LibC {
    int isatty(int fd);
  }

  /** Loaded on first use; null where it cannot be (then nothing is a terminal). */
  private static final class Holder {
    static final LibC LIBC = load();

    private static LibC load() {
      try {
        return LibraryLoader.create(LibC.class).failImmediately().load("c");
      } catch (RuntimeException | LinkageError e) {
        return null;
      }
    }
  }

  /** Whether file descriptor {@code fd} of this process is a terminal. */
  static boolean isTerminal(int fd) {
    LibC libc = Holder.LIBC;
    return libc != null && libc.isatty(fd) == 1;
  }
}
