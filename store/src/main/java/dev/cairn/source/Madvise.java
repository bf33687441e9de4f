package dev.cairn.source;

import dev.cairn.os.NativeLibrary;
import java.nio.ByteBuffer;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;
import jnr.ffi.types.size_t;

/**
 * {@code madvise(2)} for memory-mapped buffers, loaded on first use (a process that never maps a
 * file never loads it). Failures are ignored: the advice is an optimisation.
 *
 * <p>Thread-safe.
 */
final class Madvise {
  private static final int MADV_DONTNEED = 4;

  private Madvise() {}

  /** The libc entry point. */
  public interface LibC {
    int madvise(Pointer address, @size_t long length, int advice);
  }

  /** Loaded once, on first use; null where it cannot be (then advice is skipped). */
  private static final class Holder {
    static final LibC LIBC = load();
    static final Runtime RUNTIME = LIBC == null ? null : Runtime.getRuntime(LIBC);

    private static LibC load() {
      return NativeLibrary.libc(LibC.class);
    }
  }

  /**
   * Drops the pages of a whole direct buffer (which must start on a page boundary, as a {@code
   * FileChannel} mapping of a page-aligned file offset does) from the page tables.
   */
  static void dontNeed(ByteBuffer mapping) {
    LibC libc = Holder.LIBC;
    if (libc == null || mapping.capacity() == 0) {
      return;
    }
    Pointer p = Pointer.wrap(Holder.RUNTIME, mapping);
    libc.madvise(p, mapping.capacity(), MADV_DONTNEED);
  }
}
