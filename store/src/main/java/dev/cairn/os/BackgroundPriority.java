package dev.cairn.os;

/**
 * Puts a background thread (a profile fetch, a full-image fetch) at the lowest CPU priority, {@code
 * nice} {@value #NICE}, so that when the cores are busy — a VM booting from the mount under TCG, a
 * model load decoding — the threads that serve the kernel's reads run first. Java's {@link
 * Thread#setPriority} does not reach the Linux scheduler (HotSpot ignores it unless run with {@code
 * -XX:ThreadPriorityPolicy=1} as root), so this sets the thread's own nice value: on Linux it is an
 * attribute of each thread, {@code setpriority(PRIO_PROCESS, gettid(), 19)}, and raising it needs
 * no privilege. Where libc or {@code gettid} cannot be loaded the thread keeps its priority: this
 * is an optimisation, never a condition of correct reads.
 *
 * <p>Thread-safe; stateless.
 */
public final class BackgroundPriority {
  /** The nice value background threads run at: the lowest priority there is. */
  public static final int NICE = 19;

  private static final int PRIO_PROCESS = 0;

  private BackgroundPriority() {}

  /** The libc entry points (glibc 2.30 and later export {@code gettid}). */
  public interface LibC {
    int gettid();

    int setpriority(int which, int who, int prio);
  }

  private static final class Holder {
    static final LibC LIBC = load();

    private static LibC load() {
      LibC libc = NativeLibrary.libc(LibC.class);
      try {
        if (libc != null) {
          libc.gettid(); // links the symbol now: an older libc fails here, once
        }
        return libc;
      } catch (RuntimeException | LinkageError e) {
        return null;
      }
    }
  }

  /**
   * Lowers the calling thread to nice {@value #NICE}; true if it now runs at that priority. Call it
   * from the thread itself, first thing: threads it starts afterwards inherit the value.
   */
  public static boolean lowerCurrentThread() {
    LibC libc = Holder.LIBC;
    if (libc == null) {
      return false;
    }
    try {
      return libc.setpriority(PRIO_PROCESS, libc.gettid(), NICE) == 0;
    } catch (RuntimeException | LinkageError e) {
      return false;
    }
  }
}
