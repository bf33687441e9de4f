package dev.cairn.fuse;

import dev.cairn.config.Tuning;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one mount of a {@link CairnFs}: libfuse's request loop on a fixed set of Java threads
 * ({@link FuseLoop}, in the foreground), with requests of up to 1 MiB ({@link InitReplyPatch}) and
 * a wide kernel read-ahead window ({@link ReadAhead}), until the file system is unmounted.
 *
 * <p>Threads, request size and read-ahead window come from {@link Tuning} (defaults chosen by
 * measurement, {@code scripts/bench/read.sh}), read once when the session is built.
 *
 * <p>jnr-fuse's own {@code mount()} is not used: in non-blocking mode it reports success after 2 s
 * whether or not the mount worked, and in both modes it registers a shutdown hook that runs a lazy
 * {@code fusermount -u -z} after the JVM has stopped caring — which can unmount the next mount at
 * the same place. Here readiness means the {@code init} callback ran <em>and</em> the mount is in
 * {@code /proc/self/mountinfo}, and unmounting is explicit.
 *
 * <p>Thread-safe.
 */
public final class FuseSession {
  private static final Logger LOG = LoggerFactory.getLogger(FuseSession.class);

  private final CairnFs fs;
  private final Path mountPoint;
  private final String[] argv;
  private final int threads;
  private final int maxPages;
  private final int readAheadKib;
  private final CompletableFuture<Integer> result = new CompletableFuture<>();
  private Thread loop;

  /**
   * @param fs the file system
   * @param mountPoint absolute mount point
   * @param options the {@code -o} option string
   * @param debug pass {@code -d} to libfuse (logs every request)
   */
  public FuseSession(CairnFs fs, Path mountPoint, String options, boolean debug) {
    this.fs = fs;
    this.mountPoint = mountPoint;
    Tuning tuning = Tuning.current();
    this.threads = tuning.fuseThreads();
    this.maxPages = tuning.fuseMaxPages();
    this.readAheadKib = tuning.fuseReadAheadKib();
    List<String> a = new ArrayList<>(List.of("cairn", "-f"));
    if (debug) {
      a.add("-d");
    }
    a.add("-o");
    a.add(options);
    a.add(mountPoint.toString());
    this.argv = a.toArray(String[]::new);
  }

  /** The argument vector handed to libfuse. */
  public List<String> argv() {
    return List.of(argv);
  }

  /** Starts the FUSE loop thread. */
  public synchronized void start() {
    if (loop != null) {
      throw new IllegalStateException("already started");
    }
    loop =
        new Thread(
            () -> {
              try {
                result.complete(fs.runFuse(argv, threads, maxPages));
              } catch (Throwable t) {
                result.completeExceptionally(t);
              }
            },
            "fuse-main");
    loop.start();
  }

  /** True while the FUSE loop runs. */
  public boolean running() {
    return loop != null && !result.isDone();
  }

  /**
   * Waits until the mount is usable: {@code init} ran and the mount point shows a {@code
   * fuse.cairn} mount. Polls the mount table every 10 ms.
   *
   * @throws IOException if the loop ended first (the mount failed) or {@code timeout} passed
   */
  public void awaitReady(Duration timeout) throws IOException, InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      if (result.isDone()) {
        throw new IOException(
            "could not mount at " + mountPoint + ": " + describeResult() + " (see the log)");
      }
      if (fs.initialized().await(10, TimeUnit.MILLISECONDS)) {
        Optional<MountTable.Entry> e = MountTable.find(mountPoint);
        if (e.isPresent() && e.get().isFuse()) {
          ReadAhead.set(mountPoint, readAheadKib);
          return;
        }
      }
      if (System.nanoTime() > deadline) {
        throw new IOException(
            "mount at "
                + mountPoint
                + " did not become ready within "
                + timeout.toSeconds()
                + " s");
      }
    }
  }

  private String describeResult() {
    try {
      Integer rc = result.getNow(null);
      return "libfuse returned " + rc;
    } catch (java.util.concurrent.CompletionException e) {
      Throwable c = e.getCause() == null ? e : e.getCause();
      if (c instanceof UnsatisfiedLinkError || c instanceof NoClassDefFoundError) {
        return FuseAvailability.NOT_AVAILABLE + " (" + c.getMessage() + ")";
      }
      return c.toString();
    }
  }

  /** Waits for the FUSE loop to end; returns libfuse's result (0 after a clean unmount). */
  public int awaitExit() throws InterruptedException {
    try {
      return result.get();
    } catch (ExecutionException e) {
      LOG.error("FUSE loop failed: {}", e.getCause().toString());
      return 1;
    }
  }

  /** Like {@link #awaitExit()} with a limit; false if the loop is still running after it. */
  public boolean awaitExit(Duration timeout) throws InterruptedException {
    try {
      result.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
      return true;
    } catch (ExecutionException e) {
      return true;
    } catch (TimeoutException e) {
      return false;
    }
  }

  /**
   * Asks the kernel to drop the mount ({@code fusermount -u}, lazily if {@code lazy}); the loop
   * then ends by itself once no file is open.
   */
  public Fusermount.Result unmount(boolean lazy) throws IOException {
    return Fusermount.unmount(mountPoint, lazy);
  }
}
