package dev.cairn.source;

import java.util.ArrayList;
import java.util.List;

/**
 * The lines that say a remote object is read from the disk cache alone because its server is
 * unreachable ({@link RemoteObjects#open}). Without a collector they go to stderr at once; a caller
 * opening a whole chain collects them on its thread and prints them only once every member opened,
 * so that a chain that fails to open says one thing: why it failed.
 *
 * <p>Use in try-with-resources on one thread; not shared between threads.
 */
public final class OfflineNotices implements AutoCloseable {
  private static final ThreadLocal<OfflineNotices> CURRENT = new ThreadLocal<>();

  private final OfflineNotices outer;
  private final List<String> lines = new ArrayList<>();

  private OfflineNotices(OfflineNotices outer) {
    this.outer = outer;
  }

  /** Starts collecting this thread's notices until {@link #close()}. */
  public static OfflineNotices collect() {
    OfflineNotices n = new OfflineNotices(CURRENT.get());
    CURRENT.set(n);
    return n;
  }

  /** Collects {@code line} if this thread collects, else prints it on stderr. */
  static void say(String line) {
    OfflineNotices n = CURRENT.get();
    if (n == null) {
      System.err.println(line);
    } else {
      n.lines.add(line);
    }
  }

  /** The notices collected so far, in order. */
  public List<String> lines() {
    return List.copyOf(lines);
  }

  /** Prints the collected notices on stderr. */
  public void print() {
    lines.forEach(System.err::println);
  }

  @Override
  public void close() {
    if (outer == null) {
      CURRENT.remove();
    } else {
      CURRENT.set(outer);
    }
  }
}
