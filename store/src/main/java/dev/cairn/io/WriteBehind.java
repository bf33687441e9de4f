package dev.cairn.io;

import dev.cairn.error.OutOfSpaceException;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Starts write-back of a file being appended to while the writer goes on: after every {@code every}
 * bytes appended, the file is forced ({@code fdatasync}) on a background thread, unless the
 * previous background force is still running. The kernel would otherwise keep everything dirty
 * until the writer's own force, which then pays for all of the disk writes at once instead of
 * overlapping them with the writer's work.
 *
 * <p>A background force that fails is remembered and thrown by the next {@link #awaitAndCheck()}:
 * after a failed {@code fdatasync} the kernel may have dropped the dirty pages and reports the
 * error only once per open file, so a later force on the same file could succeed although data is
 * lost.
 *
 * <p>Thread-safe.
 */
public final class WriteBehind {
  private final FileChannel channel;
  private final long every;
  private final AtomicLong pending = new AtomicLong();
  private volatile CompletableFuture<Void> running = CompletableFuture.completedFuture(null);
  private volatile IOException failure;

  public WriteBehind(FileChannel channel, long every) {
    this.channel = channel;
    this.every = every;
  }

  /** Counts {@code bytes} appended; starts a background force when enough have piled up. */
  public void appended(long bytes) {
    if (pending.addAndGet(bytes) < every || !running.isDone()) {
      return;
    }
    synchronized (this) {
      if (!running.isDone() || pending.get() < every) {
        return;
      }
      pending.set(0);
      running =
          CompletableFuture.runAsync(
              () -> {
                try {
                  channel.force(false);
                } catch (IOException e) {
                  if (failure == null) {
                    failure = e;
                  }
                }
              });
    }
  }

  /**
   * Waits for a background force still running and throws the failure of any earlier one. Call
   * before the writer's own force.
   */
  public void awaitAndCheck() throws IOException {
    running.join();
    IOException f = failure;
    if (f != null) {
      throw OutOfSpaceException.classify(
          new IOException("an earlier background fdatasync failed: " + f.getMessage(), f));
    }
  }
}
