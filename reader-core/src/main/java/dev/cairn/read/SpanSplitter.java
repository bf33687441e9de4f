package dev.cairn.read;

import dev.cairn.config.Tuning;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Decompresses the second half of a read that spans many blocks on a helper thread while the
 * reading thread does the first half, so that one large read (a single reader with {@code
 * O_DIRECT}, an application reading megabytes at a time) uses more than one core.
 *
 * <p>Only a read that is alone in flight is split: when several reads run at once (the kernel's
 * read-ahead keeps a couple of requests in flight behind a buffered sequential reader) they already
 * keep the cores busy, and splitting them measured 8-15 % slower.
 *
 * <p>The pool is small (one thread fewer than the machine has cores) and has no queue: when every
 * helper is busy — for instance because several reads already keep the cores busy — the reading
 * thread simply does the whole span itself. A reader therefore never waits for a helper that has
 * not started, and helpers never wait for anything, so there is no way to deadlock.
 *
 * <p>Thread-safe.
 */
final class SpanSplitter {
  /** Spans shorter than this are read on the calling thread: a hand-off costs a few µs. */
  static final int MIN_SPLIT_BYTES = 256 << 10;

  /** System property {@code cairn.splitSpans=false} reads every span on its own thread. */
  static final boolean ENABLED = Tuning.current().splitSpans();

  private static final ThreadPoolExecutor POOL = newPool();
  private static final AtomicInteger IN_FLIGHT = new AtomicInteger();

  private SpanSplitter() {}

  /** Notes the start of a read; pair with {@link #exit()}. */
  static void enter() {
    IN_FLIGHT.incrementAndGet();
  }

  /** Notes the end of a read. */
  static void exit() {
    IN_FLIGHT.decrementAndGet();
  }

  /** Whether no other read is in flight right now. */
  static boolean alone() {
    return IN_FLIGHT.get() <= 1;
  }

  /** One half of a span: reads its blocks. */
  @FunctionalInterface
  interface Half {
    void run() throws IOException;
  }

  private static ThreadPoolExecutor newPool() {
    int helpers = Math.max(1, Runtime.getRuntime().availableProcessors() - 1);
    AtomicInteger n = new AtomicInteger();
    ThreadPoolExecutor pool =
        new ThreadPoolExecutor(
            helpers,
            helpers,
            30,
            TimeUnit.SECONDS,
            new SynchronousQueue<>(),
            r -> {
              Thread t = new Thread(r, "cairn-decompress-" + n.incrementAndGet());
              t.setDaemon(true);
              return t;
            },
            new ThreadPoolExecutor.AbortPolicy());
    pool.allowCoreThreadTimeOut(true);
    return pool;
  }

  /**
   * Runs {@code second} on a helper if one is free, {@code first} on this thread, and returns when
   * both are done; runs both here otherwise. The first failure is thrown.
   */
  static void run(Half first, Half second) throws IOException {
    FutureTask<Void> task =
        new FutureTask<>(
            () -> {
              second.run();
              return null;
            });
    try {
      POOL.execute(task);
    } catch (RejectedExecutionException e) {
      // no helper free: both halves here, and still both before a failure is thrown, as when split
      IOException failure = null;
      try {
        first.run();
      } catch (IOException io) {
        failure = io;
      }
      try {
        second.run();
      } catch (IOException io) {
        if (failure == null) {
          failure = io;
        }
      }
      if (failure != null) {
        throw failure;
      }
      return;
    }
    IOException failure = null;
    try {
      first.run();
    } catch (IOException e) {
      failure = e;
    }
    try {
      task.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      // the helper may still be filling the caller's buffer: wait for it without interruption
      waitUninterruptibly(task);
      throw new InterruptedIOException("interrupted while reading");
    } catch (ExecutionException e) {
      Throwable c = e.getCause();
      if (failure == null) {
        if (c instanceof IOException io) {
          throw io;
        }
        if (c instanceof RuntimeException r) {
          throw r;
        }
        if (c instanceof Error err) {
          throw err;
        }
        throw new IOException(c);
      }
    }
    if (failure != null) {
      throw failure;
    }
  }

  private static void waitUninterruptibly(FutureTask<Void> task) {
    boolean interrupted = false;
    while (!task.isDone()) {
      try {
        task.get();
      } catch (InterruptedException e) {
        interrupted = true;
      } catch (ExecutionException e) {
        break;
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }
}
