package dev.cairn.mount;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/**
 * Gives each mount of a serving process its own log file although the logger (slf4j-simple) writes
 * every line to the one {@code System.err}: {@link #install()} replaces {@code System.err} with a
 * stream that writes each line to the log of the thread that writes it. A mount's thread picks its
 * log with {@link #route}; the threads it starts (the FUSE loop and workers, the libfuse loader,
 * its shutdown hook) inherit it. Lines from threads of no mount go to the process's own stderr, the
 * server log. A pool thread that some mount happened to start first keeps that mount's log; the
 * lines it writes are rare (remote sources only) and still name their mount.
 *
 * <p>Thread-safe: a line is written by one call of the caller's thread.
 */
final class ThreadLog {
  private static final InheritableThreadLocal<PrintStream> CURRENT = new InheritableThreadLocal<>();

  private ThreadLog() {}

  /** Routes {@code System.err} by thread from now on; the old one gets unrouted lines. */
  static synchronized void install() {
    if (System.err instanceof Routed) {
      return;
    }
    System.setErr(new Routed(System.err));
  }

  /** This thread and those it starts from now on write to {@code log}. */
  static void route(PrintStream log) {
    CURRENT.set(log);
  }

  private static final class Routed extends PrintStream {
    Routed(PrintStream fallback) {
      super(new Router(fallback), true, StandardCharsets.UTF_8);
    }
  }

  private static final class Router extends OutputStream {
    private final PrintStream fallback;

    Router(PrintStream fallback) {
      this.fallback = fallback;
    }

    private PrintStream target() {
      PrintStream p = CURRENT.get();
      return p != null ? p : fallback;
    }

    @Override
    public void write(int b) {
      target().write(b);
    }

    @Override
    public void write(byte[] b, int off, int len) {
      target().write(b, off, len);
    }

    @Override
    public void flush() throws IOException {
      target().flush();
    }
  }
}
