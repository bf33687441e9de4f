package dev.cairn.mount;

import dev.cairn.os.NativeLibrary;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import jnr.ffi.Pointer;

/**
 * The {@code fusermount} {@code auto_unmount} watchdog each mount leaves running as a child of its
 * serving process: it unmounts the mount should the process die, and exits once the mount is gone.
 * A process serving one mount exits soon after, and the watchdog with it; a process serving many
 * ({@link MountDaemon}) outlives each mount and must end the watchdog itself, then reap it ({@code
 * waitpid} of that one pid: the JVM reaps only the children it started itself, and every mount
 * would otherwise leave a zombie). Stateless.
 */
final class Watchdogs {
  private static final int WNOHANG = 1;

  private Watchdogs() {}

  /** The libc entry point. */
  public interface LibC {
    int waitpid(int pid, Pointer status, int options);
  }

  private static final class Holder {
    static final LibC LIBC = load();

    private static LibC load() {
      // null: a zombie per mount until the process exits, which is harmless
      return NativeLibrary.libc(LibC.class);
    }
  }

  /** The {@code fusermount} children of this process now: the watchdogs of its mounts. */
  static Set<Long> current() {
    return fusermountChildren().map(ProcessHandle::pid).collect(Collectors.toSet());
  }

  private static Stream<ProcessHandle> fusermountChildren() {
    return ProcessHandle.current().children().filter(Watchdogs::isFusermount);
  }

  /**
   * The watchdog the mount at {@code mountPoint}, started after {@code before} was taken, leaves
   * running, or 0 if it cannot be told. Two mounts of one serving process that start at the same
   * time each see the other's watchdog as new too: the watchdog's own arguments end with its mount
   * point, which tells them apart (retiring the other mount's would leave that one without its
   * watchdog, and this one's to unmount whatever is mounted here when the process exits).
   */
  static long newSince(Set<Long> before, Path mountPoint) {
    Map<Long, List<String>> fresh = new HashMap<>();
    fusermountChildren()
        .filter(h -> !before.contains(h.pid()))
        .forEach(h -> fresh.put(h.pid(), h.info().arguments().map(List::of).orElse(List.of())));
    return pick(fresh, mountPoint.toString());
  }

  /**
   * Of the new watchdogs {@code fresh} (pid to arguments, empty if unreadable), the one whose last
   * argument is {@code mountPoint}; else the only one whose arguments could not be read, if it is
   * the only new one; else 0.
   */
  static long pick(Map<Long, List<String>> fresh, String mountPoint) {
    List<Long> named =
        fresh.entrySet().stream()
            .filter(e -> !e.getValue().isEmpty())
            .filter(e -> e.getValue().get(e.getValue().size() - 1).equals(mountPoint))
            .map(Map.Entry::getKey)
            .toList();
    if (named.size() == 1) {
      return named.get(0);
    }
    if (named.isEmpty() && fresh.size() == 1 && fresh.values().iterator().next().isEmpty()) {
      return fresh.keySet().iterator().next();
    }
    return 0;
  }

  private static boolean isFusermount(ProcessHandle h) {
    return h.info().command().map(c -> c.endsWith("/fusermount")).orElse(false);
  }

  /**
   * Ends the watchdog {@code pid} of a mount that is gone, and reaps it. libfuse keeps the socket
   * the watchdog waits on open until the process exits, so it would otherwise linger until then —
   * and then "auto-unmount" whatever is mounted at that path by that time, a later mount included.
   * It blocks every signal but SIGKILL, which it cannot catch and so leaves the mount table alone.
   * Only a {@code fusermount} child of this process is touched (the pid may have been reused).
   */
  static void retire(long pid) throws InterruptedException {
    if (pid <= 0) {
      return;
    }
    ProcessHandle.of(pid)
        .filter(h -> h.parent().map(p -> p.pid() == ProcessHandle.current().pid()).orElse(false))
        .filter(Watchdogs::isFusermount)
        .ifPresent(ProcessHandle::destroyForcibly);
    if (MountState.awaitGone(pid, 5000)) {
      LibC libc = Holder.LIBC;
      if (libc != null) {
        libc.waitpid((int) pid, null, WNOHANG);
      }
    }
  }
}
