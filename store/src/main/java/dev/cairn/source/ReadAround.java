package dev.cairn.source;

import dev.cairn.os.NativeLibrary;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Read-around for positional reads of a local file: before a small read, the kernel is asked once
 * ({@code posix_fadvise(WILLNEED)}) to bring the whole aligned {@value #WINDOW_LOG2}-bit window
 * around it into the page cache, in one request to the disk.
 *
 * <p>A page fault in a memory map gets this from the kernel by itself (mmap read-around), a {@code
 * pread} does not: the kernel reads a small random {@code pread} as it is. A verified mount reads
 * with {@code pread} (its checked bytes must be its own), so with a cold page cache each block it
 * missed cost a disk round trip of its own where a mapped mount's fault had brought in its
 * neighbours too (scripts/bench/read.sh, 4 KiB random reads, 1 job, lz4: verified ÷ plain 0.76 with
 * the page cache cold, 0.88 with the snapshot already in it).
 *
 * <p>Each window is advised at most once per open file: a window's pages that the kernel drops
 * later are read as the reads come. Reads of a window or more are left to the kernel's own
 * read-ahead. Advice is an optimisation; where libc cannot be bound, or the call fails, reads go on
 * without it.
 *
 * <p>Thread-safe: the advised windows are an atomic bit set. A read racing with {@link #close} may
 * advise a descriptor number that was reused meanwhile; advice only ever brings pages into the page
 * cache, and changes nothing else.
 */
final class ReadAround {
  static final int WINDOW_LOG2 = 17;
  private static final int O_RDONLY = 0;
  private static final int O_NONBLOCK = 0x800;
  private static final int O_CLOEXEC = 0x80000;
  private static final int POSIX_FADV_WILLNEED = 3;

  /** The libc entry points. */
  public interface LibC {
    int open(String path, int flags);

    int posix_fadvise(int fd, long offset, long length, int advice);

    int close(int fd);
  }

  /** Loaded once, on first use; null where it cannot be. */
  private static final class Holder {
    static final LibC LIBC = load();

    private static LibC load() {
      // the open flags above are the generic Linux ones
      return NativeLibrary.genericLinux() ? NativeLibrary.libc(LibC.class) : null;
    }
  }

  private final int fd;
  private final AtomicLongArray advised;

  private ReadAround(int fd, long size) {
    this.fd = fd;
    long windows = (size >>> WINDOW_LOG2) + 1;
    this.advised = new AtomicLongArray((int) ((windows + 63) >>> 6));
  }

  /**
   * Read-around for the file at {@code path} of {@code size} bytes, on a descriptor of its own
   * (advice applies to the file's pages, whichever descriptor gives it); null where it cannot be
   * had.
   */
  static ReadAround open(Path path, long size) {
    LibC libc = Holder.LIBC;
    if (libc == null || size <= 0) {
      return null;
    }
    try {
      // never blocks: should the path have become a FIFO since the channel opened it, an open
      // for reading would wait for a writer (this descriptor is only ever given advice)
      int fd = libc.open(path.toString(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
      return fd < 0 ? null : new ReadAround(fd, size);
    } catch (RuntimeException | LinkageError e) {
      return null;
    }
  }

  /**
   * Called before a read of {@code length} bytes at {@code position}; returns whether it advised
   * the kernel now and the kernel took the advice.
   */
  boolean before(long position, int length) {
    if (length >= 1 << WINDOW_LOG2) {
      return false;
    }
    long window = position >>> WINDOW_LOG2;
    int word = (int) (window >>> 6);
    long bit = 1L << (window & 63);
    if ((advised.get(word) & bit) != 0
        || (advised.getAndAccumulate(word, bit, (a, b) -> a | b) & bit) != 0) {
      return false;
    }
    return Holder.LIBC.posix_fadvise(
            fd, window << WINDOW_LOG2, 1L << WINDOW_LOG2, POSIX_FADV_WILLNEED)
        == 0;
  }

  void close() {
    Holder.LIBC.close(fd);
  }
}
