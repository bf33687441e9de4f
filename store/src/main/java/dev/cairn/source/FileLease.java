package dev.cairn.source;

import dev.cairn.os.NativeLibrary;
import java.io.Closeable;
import java.nio.file.Path;

/**
 * A Linux read lease ({@code fcntl(F_SETLEASE, F_RDLCK)}) on a file: while it is held, the kernel
 * makes any other process that opens the file for writing or truncates it wait (up to {@code
 * /proc/sys/fs/lease-break-time} seconds) until the lease is released, and reports the pending
 * break through {@link #held()}. It is what makes a memory map of a file safe: the mapping is given
 * up before the file can shrink under it.
 *
 * <p>The break notification is a signal; the lease asks for {@code SIGURG}, whose default action is
 * to ignore it and which the JVM does not use (the default, {@code SIGIO}, would end the process).
 * Breaks are noticed by polling {@link #held()} instead.
 *
 * <p><b>Thread safety:</b> {@link #held()} may be called from any thread; {@link #release()} and
 * {@link #close()} are idempotent and synchronized.
 */
final class FileLease implements Closeable {
  private static final int O_RDONLY = 0;
  private static final int O_CLOEXEC = 0x80000;
  private static final int F_SETSIG = 10;
  private static final int F_SETLEASE = 1024;
  private static final int F_GETLEASE = 1025;
  private static final int F_RDLCK = 0;
  private static final int F_UNLCK = 2;
  private static final int SIGURG = 23;

  /** The libc entry points (fcntl and open are variadic; ints pass the same way on Linux ABIs). */
  public interface LibC {
    int open(String path, int flags);

    int fcntl(int fd, int cmd, int arg);

    int close(int fd);
  }

  /** Loaded on first use; null where leases do not exist or libc cannot be bound. */
  private static final class Holder {
    static final LibC LIBC = load();

    private static LibC load() {
      // the fcntl and signal numbers above are the generic Linux ones
      return NativeLibrary.genericLinux() ? NativeLibrary.libc(LibC.class) : null;
    }
  }

  private final LibC libc;
  private final int fd;
  private boolean released;
  private boolean closed;

  private FileLease(LibC libc, int fd) {
    this.libc = libc;
    this.fd = fd;
  }

  /**
   * Opens {@code path} read-only and takes a read lease on it, or returns null if that is not
   * possible: not Linux, a file system without leases, a file this user does not own (leases need
   * ownership or {@code CAP_LEASE}), or a file some process has open for writing.
   */
  static FileLease take(Path path) {
    LibC libc = Holder.LIBC;
    if (libc == null) {
      return null;
    }
    int fd = libc.open(path.toString(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      return null;
    }
    // The signal first: a break between the two calls must not raise SIGIO.
    if (libc.fcntl(fd, F_SETSIG, SIGURG) != 0 || libc.fcntl(fd, F_SETLEASE, F_RDLCK) != 0) {
      libc.close(fd);
      return null;
    }
    return new FileLease(libc, fd);
  }

  /**
   * The same open file by a path this process can open again ({@code /proc/self/fd/N}), so that
   * every later open reaches the leased inode even if the name has been replaced meanwhile.
   */
  Path path() {
    return Path.of("/proc/self/fd/" + fd);
  }

  /** True while the lease is held and no other process is waiting for it to be given up. */
  boolean held() {
    return libc.fcntl(fd, F_GETLEASE, 0) == F_RDLCK;
  }

  /** Gives the lease up (a waiting writer proceeds); the file stays open. */
  synchronized void release() {
    if (!released && !closed) {
      released = true;
      libc.fcntl(fd, F_SETLEASE, F_UNLCK);
    }
  }

  /** Releases the lease and closes the file. */
  @Override
  public synchronized void close() {
    release();
    if (!closed) {
      closed = true;
      libc.close(fd);
    }
  }
}
