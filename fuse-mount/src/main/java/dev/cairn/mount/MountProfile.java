package dev.cairn.mount;

import dev.cairn.args.Profiles;
import dev.cairn.error.ExitCode;
import dev.cairn.profile.AccessProfile;
import dev.cairn.profile.ProfileFetcher;
import dev.cairn.profile.ProfileRecorder;
import dev.cairn.read.Snapshot;
import dev.cairn.read.StreamReader;
import dev.cairn.sign.Trust;
import dev.cairn.source.RemoteByteSource;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * One mount's access profile work ({@link ProfileOptions}): the recorder that {@code
 * --record-profile} fills while the mount serves reads and writes when it ends, and the background
 * fetch of the profile published next to the snapshot (or named by {@code --profile}), plus
 * everything with {@code --fetch all}; and their section of stats.json.
 *
 * <p>Thread-safe: {@link #start} and {@link #close} run on the mount's own thread, the fetch starts
 * on the thread that reads the profile ({@link #lookUp}), {@link #stats} runs on any; no fetch
 * starts after {@link #close}.
 */
final class MountProfile {
  private static final long FETCH_STOP_MILLIS = 2000;

  /** The mount's log lines keep one logger name; created on first use, as MountServer's. */
  private static final class Log {
    static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(MountServer.class);
  }

  private final ProfileOptions options;
  private final Snapshot snapshot;
  private final Trust trust;
  private final ProfileRecorder recorder;
  private final CompletableFuture<Optional<Profiles.Found>> lookup;
  private volatile ProfileFetcher fetcher;
  private boolean closed; // guarded by this: no fetch starts after close

  /**
   * @param lookup the profile's bytes as {@link #lookUp} reads them
   */
  MountProfile(
      ProfileOptions options,
      Snapshot snapshot,
      Trust trust,
      CompletableFuture<Optional<Profiles.Found>> lookup) {
    this.options = options;
    this.lookup = lookup;
    this.snapshot = snapshot;
    this.trust = trust;
    this.recorder =
        options.record() == null
            ? null
            : new ProfileRecorder(
                snapshot.header().snapshotId(),
                snapshot.header().blockSizeLog2(),
                snapshot.streams().stream().mapToLong(StreamReader::size).toArray());
  }

  /** What the file system records reads into, or null when not recording. */
  ProfileRecorder recorder() {
    return recorder;
  }

  /**
   * Starts reading the profile a mount of {@code snapshotSpec} would fetch, on a thread of its own:
   * the one named by {@code --profile}, else for a remote snapshot the one published next to it. A
   * mount calls this before it opens the snapshot, so that the profile's round trips overlap the
   * snapshot's and the fetch can start as soon as the snapshot is open. A local snapshot reads
   * nothing unless asked to: its reads cost no round trips.
   */
  static CompletableFuture<Optional<Profiles.Found>> lookUp(
      ProfileOptions options, String snapshotSpec) {
    boolean wantsProfile =
        options.profile() == null
            ? RemoteByteSource.isRemote(snapshotSpec)
            : !"none".equals(options.profile());
    if (!wantsProfile) {
      return CompletableFuture.completedFuture(Optional.empty());
    }
    return CompletableFuture.supplyAsync(
        () -> {
          try {
            return Profiles.read(snapshotSpec, options.profile());
          } catch (IOException e) {
            throw new CompletionException(e);
          }
        },
        task -> {
          Thread t = new Thread(task, "cairn-profile-lookup");
          t.setDaemon(true);
          t.start();
        });
  }

  /**
   * Starts the background fetch once the profile {@link #lookUp} reads is in (at once if it is):
   * its blocks in its order, with {@code --fetch all} every block after them. Does not wait.
   */
  void start() {
    lookup.whenComplete(this::begin);
  }

  private synchronized void begin(Optional<Profiles.Found> found, Throwable failure) {
    if (closed) {
      return; // unmounted (or the mount failed) before the profile came in
    }
    if (failure != null) {
      Throwable cause =
          failure instanceof CompletionException && failure.getCause() != null
              ? failure.getCause()
              : failure;
      Log.LOG.warn(
          "no background fetch: {}",
          cause instanceof IOException io ? ExitCode.message(io) : cause.toString());
      return;
    }
    Optional<AccessProfile> p = Profiles.accept(found, snapshot.header().snapshotId(), trust);
    if (p.isEmpty() && !options.fetchAll()) {
      return;
    }
    AccessProfile profile = p.orElse(AccessProfile.of(snapshot.header().snapshotId(), List.of()));
    fetcher =
        ProfileFetcher.start(
            snapshot.streams(),
            profile,
            options.fetchAll() ? ProfileFetcher.Mode.ALL : ProfileFetcher.Mode.PROFILE,
            Math.max(
                1,
                Math.min(
                    ProfileFetcher.DEFAULT_THREADS,
                    dev.cairn.config.Tuning.current().remoteMaxConnections() - 2)));
  }

  /**
   * Stops the fetch and writes the recorded profile ({@code --record-profile}); a failure to write
   * is logged, not thrown. The fetch's threads are given up to {@value #FETCH_STOP_MILLIS} ms to
   * finish the block they have in flight, so that they are done with the snapshot before it is
   * closed and do not add to the disk cache after the mount is gone.
   */
  void close() {
    ProfileFetcher f;
    synchronized (this) {
      closed = true;
      f = fetcher;
    }
    if (f != null) {
      f.close();
      try {
        if (!f.await(FETCH_STOP_MILLIS)) {
          Log.LOG.debug("background fetch still has a request in flight at unmount");
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    if (recorder == null) {
      return;
    }
    AccessProfile p = recorder.profile();
    Path out = options.record();
    try {
      Profiles.write(out, p);
      Log.LOG.info("recorded profile {}: {} blocks in {} runs", out, p.blocks(), p.runs().size());
    } catch (IOException e) {
      Log.LOG.warn("cannot write profile {}: {}", out, ExitCode.message(e));
    }
  }

  /** The {@code profile} section of stats.json (empty when neither fetching nor recording). */
  Map<String, Object> stats() {
    Map<String, Object> m = new LinkedHashMap<>();
    ProfileFetcher f = fetcher;
    if (f != null) {
      ProfileFetcher.Stats st = f.stats();
      m.put("fetch_blocks", st.blocks());
      m.put("fetched_blocks", st.fetchedBlocks());
      m.put("fetched_bytes", st.fetchedBytes());
      m.put("fetch_done", st.done());
      if (st.error() != null) {
        m.put("fetch_error", st.error());
      }
    }
    if (recorder != null) {
      AccessProfile p = recorder.profile();
      m.put("recording", options.record().toString());
      m.put("recorded_blocks", p.blocks());
      m.put("recorded_runs", p.runs().size());
    }
    return m;
  }
}
