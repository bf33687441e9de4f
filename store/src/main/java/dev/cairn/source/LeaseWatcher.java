package dev.cairn.source;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * One daemon thread that polls the file leases of every open {@link MappedByteSource} and tells a
 * source when another process wants to write its file, so that it stops using its mapping and lets
 * the writer go on. The thread runs only while some source is watched and never keeps the JVM
 * alive.
 *
 * <p>A writer waits for at most one poll interval plus the time the views then in use take to be
 * released; the kernel would end its wait after {@code lease-break-time} (45 s by default) on its
 * own, with the mapping still in use, so the interval must stay far below that.
 *
 * <p><b>Thread safety:</b> thread-safe.
 */
final class LeaseWatcher {
  static final long POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(10);

  private static final Set<MappedByteSource> WATCHED = ConcurrentHashMap.newKeySet();
  private static Thread thread;

  private LeaseWatcher() {}

  static synchronized void watch(MappedByteSource source) {
    WATCHED.add(source);
    if (thread == null) {
      thread = new Thread(LeaseWatcher::run, "cairn-lease-watcher");
      thread.setDaemon(true);
      thread.start();
    }
  }

  static void unwatch(MappedByteSource source) {
    WATCHED.remove(source);
  }

  private static void run() {
    while (true) {
      synchronized (LeaseWatcher.class) {
        if (WATCHED.isEmpty()) {
          thread = null;
          return;
        }
      }
      for (MappedByteSource s : WATCHED) {
        if (s.checkLease()) {
          WATCHED.remove(s);
        }
      }
      LockSupport.parkNanos(POLL_NANOS);
    }
  }
}
