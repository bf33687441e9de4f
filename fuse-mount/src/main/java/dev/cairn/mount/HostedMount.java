package dev.cairn.mount;

import dev.cairn.error.ExitCode;
import dev.cairn.fuse.Fusermount;
import dev.cairn.fuse.MountTable;
import dev.cairn.read.BlockCache;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

/**
 * One mount the user's serving process ({@link MountDaemon}) serves: a {@link MountServer} on a
 * thread of its own with the mount's log as that thread's output, its block cache registered with
 * the server's {@link CacheBudget}, and the clean-up after it ends (a mount left behind unmounted,
 * its {@code fusermount} watchdog retired). Whatever one mount throws ends that mount only.
 *
 * <p>Thread-safe: its futures and the cache field are safe to read from the server's request
 * threads.
 */
final class HostedMount implements MountServer.Host {
  final MountRequest request;
  final Path mountPoint;
  final Path log;
  final Instant since = Instant.now();
  final CompletableFuture<MountState> ready = new CompletableFuture<>();
  final CompletableFuture<Integer> done = new CompletableFuture<>();
  volatile BlockCache cache;
  private final CacheBudget budget;
  private final Path socket;
  private final FileSystemSpare spare;
  private final Consumer<HostedMount> ended;

  HostedMount(
      MountRequest request,
      Path mountPoint,
      Path log,
      CacheBudget budget,
      Path socket,
      FileSystemSpare spare,
      Consumer<HostedMount> ended) {
    this.request = request;
    this.mountPoint = mountPoint;
    this.log = log;
    this.budget = budget;
    this.socket = socket;
    this.spare = spare;
    this.ended = ended;
  }

  @Override
  public void cacheOpened(BlockCache c, long requested) {
    cache = c;
    budget.add(c, requested);
  }

  @Override
  public void cacheClosed(BlockCache c) {
    budget.remove(c);
  }

  @Override
  public void ready(MountState state) {
    ready.complete(state);
    spare.prepare();
  }

  @Override
  public Path socket() {
    return socket;
  }

  @Override
  public java.util.concurrent.Future<dev.cairn.fuse.CairnFs> fileSystem() {
    return spare.take();
  }

  /** Serves the mount on a thread of its own until it is unmounted. */
  void start() {
    Thread t = new Thread(this::run, "mount-" + RuntimeDir.key(mountPoint));
    t.start();
  }

  private void run() {
    int rc = ExitCode.FAILURE;
    try (PrintStream out =
        new PrintStream(Files.newOutputStream(log), true, StandardCharsets.UTF_8)) {
      ThreadLog.route(out);
      try {
        rc = new MountServer(request, null, log, this).serve();
      } catch (Throwable e) { // NOPMD: whatever one mount throws must not reach the others
        System.err.println("cairn: " + ExitCode.message(e));
        if (request.debug()) {
          e.printStackTrace();
        }
        rc = ExitCode.of(e);
        ready.completeExceptionally(e);
      } finally {
        ready.completeExceptionally(
            new IOException(
                mountPoint + ": the mount ended before it was ready (log: " + log + ")"));
        ThreadLog.route(null);
      }
    } catch (IOException e) {
      ready.completeExceptionally(e);
    } finally {
      MountState st = ready.isCompletedExceptionally() ? null : ready.getNow(null);
      if (st != null) {
        try {
          if (MountTable.find(mountPoint).filter(MountTable.Entry::isCairn).isPresent()) {
            // the loop ended with the mount still there (it failed): the watchdog's job
            Fusermount.unmount(mountPoint, true);
          }
          Watchdogs.retire(st.helperPid());
        } catch (IOException e) {
          MountDaemon.log("cleaning up after " + mountPoint + ": " + e.getMessage());
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      ended.accept(this);
      done.complete(rc);
    }
  }
}
