package dev.cairn.profile;

import dev.cairn.os.BackgroundPriority;
import dev.cairn.read.StreamReader;
import java.io.IOException;
import java.util.BitSet;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Fetches the blocks an {@link AccessProfile} names, in its order, in the background, and then,
 * with {@link Mode#ALL}, every other block of every stream: a mount of a remote snapshot starts
 * this at once so that a boot or a model load finds its blocks cached instead of waiting for each.
 * It only fetches stored bytes into the source's caches ({@link StreamReader#fetch(long, int)},
 * adjacent blocks in one read); it decodes nothing and holds no block. A short run is fetched
 * together with the profile's blocks beside it, wherever they come in the profile's order: a boot
 * reads many single blocks next to one another at different times (the boot benchmark's profile has
 * 835 runs, 609 of one block), and one request for the lot costs one round trip instead of several,
 * and not a byte more. A few threads of minimum priority take the blocks in order, so that over a
 * link with latency several requests are in flight, and memory in flight stays a few scratch
 * buffers (plus what the source caches); a foreground read queues behind at most that many of its
 * requests. The threads run at the lowest CPU priority ({@link BackgroundPriority}): on busy cores
 * the threads serving reads go first. Blocks past the end of a stream (a profile of another
 * version) are skipped. A source that fails stops the fetch with one log line; reads go on as
 * without it.
 *
 * <p>Thread-safe: {@link #stats} and {@link #close} may be called from any thread.
 */
public final class ProfileFetcher implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ProfileFetcher.class);

  /**
   * Threads a mount fetches with, so requests in flight: a profile's runs are fetched as pieces of
   * a few tens of KiB, so the time goes in round trips, not bytes; at 50 ms a request, six in
   * flight fetch the 829 runs of the boot benchmark's profile in about 7 s, four in about 10. A
   * mount leaves at least two request slots to its foreground reads ({@code --max-connections}).
   */
  public static final int DEFAULT_THREADS = 6;

  /**
   * The most adjacent blocks of a short run, with the profile's blocks beside it, one thread takes
   * at a time: their stored bytes go out as one request where they lie side by side ({@link
   * StreamReader#fetch(long, int)}), a piece of what the workload reads.
   */
  static final int BLOCKS_PER_TAKE = 8;

  /**
   * A run of at least this many blocks is a sequential read (a file read whole, a model load):
   * taken {@value #BLOCKS_PER_LONG_TAKE} blocks at a time, which a remote source fetches as whole
   * chunks, coalesced, as it does for the {@link Mode#ALL} phase, where they hold a megabyte or
   * more.
   */
  static final int LONG_RUN = 32;

  static final int BLOCKS_PER_LONG_TAKE = 64;

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
  private final Thread[] threads;
  private final Object order = new Object();
  private final BitSet[] handedOut; // guarded by order: per stream, blocks taken
  private final BitSet[] inProfile; // per stream, the profile's blocks (read only after start)
  private int run; // guarded by order: the next block to hand out is
  private long next; // block `next` of run `run`, or of stream `run - runs` in the ALL phase
  private boolean exhausted; // guarded by order: take() found nothing left
  private final java.util.concurrent.atomic.AtomicInteger running =
      new java.util.concurrent.atomic.AtomicInteger();
  private volatile boolean done;
  private volatile boolean closed;
  private volatile String error;

  private ProfileFetcher(
      List<StreamReader> streams, AccessProfile profile, Mode mode, int threadCount) {
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
    this.handedOut = new BitSet[streams.size()];
    this.inProfile = new BitSet[streams.size()];
    for (int i = 0; i < handedOut.length; i++) {
      handedOut[i] = new BitSet();
      inProfile[i] = new BitSet();
    }
    for (AccessProfile.Run r : profile.runs()) {
      if (r.stream() < streams.size()) {
        long end = Math.min(streams.get(r.stream()).blockCount(), r.first() + r.count());
        if (r.first() < end) {
          inProfile[r.stream()].set((int) r.first(), (int) end);
        }
      }
    }
    this.threads = new Thread[threadCount];
    for (int i = 0; i < threadCount; i++) {
      threads[i] = new Thread(this::work, "cairn-profile-fetch");
      threads[i].setDaemon(true);
      threads[i].setPriority(Thread.MIN_PRIORITY);
    }
    if (!profile.runs().isEmpty()) {
      next = profile.runs().get(0).first();
    }
  }

  /**
   * Starts fetching {@code profile}'s blocks of {@code streams} (the snapshot's, by index) on
   * {@code threads} threads (at least 1).
   */
  public static ProfileFetcher start(
      List<StreamReader> streams, AccessProfile profile, Mode mode, int threads) {
    ProfileFetcher f = new ProfileFetcher(streams, profile, mode, Math.max(1, threads));
    f.running.set(f.threads.length);
    for (Thread t : f.threads) {
      t.start();
    }
    return f;
  }

  /**
   * The next blocks to fetch, as {stream, first block, count}, or null when there is none left: the
   * profile's runs in order, then (with {@link Mode#ALL}) every stream from its start, each block
   * once. A short run's take is at most {@value #BLOCKS_PER_TAKE} adjacent blocks and reaches past
   * the run, on either side, over the profile's blocks not taken yet; a long run's is at most
   * {@value #BLOCKS_PER_LONG_TAKE} of its own blocks.
   */
  private long[] take() {
    synchronized (order) {
      List<AccessProfile.Run> runs = profile.runs();
      int cursors = runs.size() + (mode == Mode.ALL ? streams.size() : 0);
      while (run < cursors) {
        int stream;
        long end;
        int take = BLOCKS_PER_LONG_TAKE;
        boolean shortRun = false;
        if (run < runs.size()) {
          AccessProfile.Run r = runs.get(run);
          stream = r.stream();
          end =
              stream < streams.size()
                  ? Math.min(streams.get(stream).blockCount(), r.first() + r.count())
                  : 0;
          shortRun = r.count() < LONG_RUN;
          take = shortRun ? BLOCKS_PER_TAKE : BLOCKS_PER_LONG_TAKE;
        } else {
          stream = run - runs.size();
          end = streams.get(stream).blockCount();
        }
        while (next < end && handedOut[stream].get((int) next)) {
          next++;
        }
        if (next < end) {
          BitSet taken = handedOut[stream];
          long first = next;
          while (next < end && next - first < take && !taken.get((int) next)) {
            taken.set((int) next);
            next++;
          }
          if (shortRun) {
            BitSet wanted = inProfile[stream];
            long streamEnd = streams.get(stream).blockCount();
            while (next < streamEnd && next - first < take && free(wanted, taken, next)) {
              taken.set((int) next);
              next++;
            }
            while (first > 0 && next - first < take && free(wanted, taken, first - 1)) {
              first--;
              taken.set((int) first);
            }
          }
          return new long[] {stream, first, next - first};
        }
        run++;
        next = run < runs.size() ? runs.get(run).first() : 0;
      }
      exhausted = true;
      return null;
    }
  }

  private static boolean free(BitSet wanted, BitSet taken, long block) {
    return wanted.get((int) block) && !taken.get((int) block);
  }

  private void work() {
    BackgroundPriority.lowerCurrentThread();
    try {
      long[] t;
      while (!closed && (t = take()) != null) {
        long n = streams.get((int) t[0]).fetch(t[1], (int) t[2]);
        fetchedBlocks.addAndGet(t[2]);
        fetchedBytes.addAndGet(n);
      }
    } catch (IOException | RuntimeException e) {
      String m = e.getMessage() == null ? e.toString() : e.getMessage();
      synchronized (order) {
        if (error == null) {
          error = m;
          if (!closed) {
            LOG.warn("background fetch stopped: {}", m);
          }
        }
      }
      closed = true;
    } finally {
      if (running.decrementAndGet() == 0) {
        synchronized (order) {
          done = error == null && exhausted;
        }
      }
    }
  }

  /** Progress so far. */
  public Stats stats() {
    return new Stats(total, fetchedBlocks.get(), fetchedBytes.get(), done, error);
  }

  /**
   * Waits up to {@code millis} for the fetch to finish (or, after {@link #close}, to stop); true if
   * it did.
   */
  public boolean await(long millis) throws InterruptedException {
    long deadline = System.nanoTime() + millis * 1_000_000L;
    for (Thread t : threads) {
      t.join(Math.max(1, (deadline - System.nanoTime()) / 1_000_000L));
      if (t.isAlive()) {
        return false;
      }
    }
    return true;
  }

  /** Stops fetching after the block in flight; does not wait. */
  @Override
  public void close() {
    closed = true;
  }
}
