package dev.cairn.profile;

import dev.cairn.read.StreamReader;
import java.io.IOException;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Fetches the blocks an {@link AccessProfile} names, in its order, on one background thread, and
 * then, with {@link Mode#ALL}, every other block of every stream: a mount of a remote snapshot
 * starts this at once so that a boot or a model load finds its blocks cached instead of waiting for
 * each. It only fetches stored bytes into the source's caches ({@link StreamReader#fetch}); it
 * decodes nothing and holds no block, so its memory is one scratch buffer, and it runs on a single
 * thread of minimum priority, so a foreground read never queues behind more than the one request it
 * has in flight. Blocks past the end of a stream (a profile of another version) are skipped. A
 * source that fails stops the fetch with one log line; reads go on as without it.
 *
 * <p>Thread-safe: {@link #stats} and {@link #close} may be called from any thread.
 */
public final class ProfileFetcher implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ProfileFetcher.class);

  /** What to fetch. */
  public enum Mode {
    /** The profile's blocks only. */
    PROFILE,
    /** The profile's blocks, then all the others. */
    ALL
  }

  /** An immutable view of the progress. */
  public record Stats(
      long blocks, long fetchedBlocks, long fetchedBytes, boolean done, String error) {}

  private final List<StreamReader> streams;
  private final AccessProfile profile;
  private final Mode mode;
  private final long total;
  private final AtomicLong fetchedBlocks = new AtomicLong();
  private final AtomicLong fetchedBytes = new AtomicLong();
  private final Thread thread;
  private volatile boolean done;
  private volatile boolean closed;
  private volatile String error;

  private ProfileFetcher(List<StreamReader> streams, AccessProfile profile, Mode mode) {
    this.streams = List.copyOf(streams);
    this.profile = profile;
    this.mode = mode;
    long n = profile.blocks();
    if (mode == Mode.ALL) {
      n = 0;
      for (StreamReader s : streams) {
        n += s.blockCount();
      }
    }
    this.total = n;
    this.thread = new Thread(this::run, "cairn-profile-fetch");
    thread.setDaemon(true);
    thread.setPriority(Thread.MIN_PRIORITY);
  }

  /** Starts fetching {@code profile}'s blocks of {@code streams} (the snapshot's, by index). */
  public static ProfileFetcher start(List<StreamReader> streams, AccessProfile profile, Mode mode) {
    ProfileFetcher f = new ProfileFetcher(streams, profile, mode);
    f.thread.start();
    return f;
  }

  private void run() {
    try {
      for (AccessProfile.Run r : profile.runs()) {
        if (r.stream() >= streams.size()) {
          continue;
        }
        StreamReader s = streams.get(r.stream());
        long end = Math.min(s.blockCount(), r.first() + r.count());
        for (long b = r.first(); b < end; b++) {
          if (!fetch(s, b)) {
            return;
          }
        }
      }
      if (mode == Mode.ALL) {
        for (StreamReader s : streams) {
          for (long b = 0; b < s.blockCount(); b++) {
            if (!fetch(s, b)) {
              return;
            }
          }
        }
      }
      done = !closed;
    } catch (IOException | RuntimeException e) {
      error = e.getMessage() == null ? e.toString() : e.getMessage();
      if (!closed) {
        LOG.warn("background fetch stopped: {}", error);
      }
    }
  }

  /** Fetches one block; false once closed. Blocks already cached cost a cache lookup. */
  private boolean fetch(StreamReader s, long block) throws IOException {
    if (closed) {
      return false;
    }
    int n = s.fetch(block);
    fetchedBlocks.incrementAndGet();
    fetchedBytes.addAndGet(n);
    return true;
  }

  /** Progress so far. */
  public Stats stats() {
    return new Stats(total, fetchedBlocks.get(), fetchedBytes.get(), done, error);
  }

  /** Waits up to {@code millis} for the fetch to finish; true if it did. For tests and tools. */
  public boolean await(long millis) throws InterruptedException {
    thread.join(millis);
    return !thread.isAlive();
  }

  /** Stops fetching after the block in flight; does not wait. */
  @Override
  public void close() {
    closed = true;
  }
}
