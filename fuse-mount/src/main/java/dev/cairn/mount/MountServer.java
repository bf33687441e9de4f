package dev.cairn.mount;

import dev.cairn.args.Human;
import dev.cairn.args.Snapshots;
import dev.cairn.error.ExitCode;
import dev.cairn.error.UsageException;
import dev.cairn.fuse.CairnFs;
import dev.cairn.fuse.FuseAvailability;
import dev.cairn.fuse.FuseSession;
import dev.cairn.fuse.MountAccess;
import dev.cairn.fuse.MountInfo;
import dev.cairn.fuse.MountOptions;
import dev.cairn.fuse.StatsReport;
import dev.cairn.overlay.OverlayImage;
import dev.cairn.read.BlockCache;
import dev.cairn.read.ReadStats;
import dev.cairn.read.Snapshot;
import dev.cairn.read.SnapshotChain;
import dev.cairn.read.StreamReader;
import dev.cairn.source.RemoteByteSource;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The serving side of a mount: checks, opens the snapshot, mounts it in this process and serves
 * until it is unmounted ({@code cairn umount}, {@code fusermount -u}) or the process is told to
 * stop (SIGTERM, SIGINT: the shutdown hook unmounts and waits for the FUSE loop). Used by {@code
 * cairn mount --foreground} and by the detached process {@code cairn mount} starts ({@link
 * ServeMain}).
 *
 * <p>Once the mount is ready it writes the mount's state file (so {@code cairn umount} finds this
 * process) and, when started by {@code cairn mount}, the ready file its parent waits for.
 */
public final class MountServer {
  /** Created on first use: the logger's set-up is left to the thread that loads libfuse. */
  private static final class Log {
    static final Logger LOG = LoggerFactory.getLogger(MountServer.class);
  }

  /**
   * The process that serves this mount among others ({@link MountDaemon}): shares one cache budget
   * among the mounts and answers {@code cairn mount} when the mount is ready. Its methods are
   * called from the mount's own thread.
   */
  interface Host {
    /** The mount's block cache, which asked for {@code requested} bytes: the host caps it. */
    void cacheOpened(BlockCache cache, long requested);

    /** The mount is gone (or never came up): its cache no longer counts. */
    void cacheClosed(BlockCache cache);

    /** The mount is ready and its state file written. */
    void ready(MountState state);

    /** The host's control socket, recorded in the state file. */
    Path socket();

    /**
     * A fresh file system object for this mount, usually made ahead while the host was idle
     * (building jnr-fuse's callbacks is the slowest step of getting ready).
     */
    java.util.concurrent.Future<CairnFs> fileSystem();
  }

  /** How long a mount may take to become ready. */
  static final Duration READY_TIMEOUT = Duration.ofSeconds(30);

  private final MountRequest request;
  private final Path readyFile; // null in --foreground
  private final Path logFile; // null in --foreground
  private final Host host; // null unless a MountDaemon serves this mount among others

  /** Guarded by {@code this}: {@link #cleanup} has run (or is running, in the lock's holder). */
  private boolean cleaned;

  private String snapSpec; // absolute path or URL
  private Path mnt;
  private RuntimeDir dirs;
  private SnapshotChain chain;
  private MountProfile profile;
  private Snapshot snapshot;
  private OverlayImage overlay;
  private BlockCache cache;

  /**
   * The serving process {@link ServeLauncher} started: reports to its parent through {@code
   * readyFile} and logs to {@code logFile}.
   */
  MountServer(MountRequest request, Path readyFile, Path logFile) {
    this(request, readyFile, logFile, null);
  }

  /** A mount served by {@code host} among others, logging to {@code logFile}. */
  MountServer(MountRequest request, Path readyFile, Path logFile, Host host) {
    this.request = request;
    this.readyFile = readyFile;
    this.logFile = logFile;
    this.host = host;
  }

  /** {@code cairn mount --foreground}: serves in the calling process, logging to its stderr. */
  public static MountServer foreground(MountRequest request) {
    return new MountServer(request, null, null);
  }

  /** Serves until unmounted; returns the exit code. */
  public int serve() throws Exception {
    // Loading libfuse and generating jnr's callback stubs is the slowest step of getting ready;
    // do it (and the logger's set-up) while this thread checks and opens the snapshot.
    long uid = RuntimeDir.currentUid();
    long gid = RuntimeDir.currentGid();
    java.util.concurrent.Future<CairnFs> loading =
        host != null ? host.fileSystem() : loadFileSystem();

    snapSpec = MountChecks.checkSnapshotSpec(request.snapshot(), request.overlay() != null);
    MountAccess base =
        RemoteByteSource.isRemote(snapSpec)
            ? MountAccess.remote(uid, gid)
            : MountAccess.ofFile(Path.of(snapSpec));
    if (request.overlay() != null) {
      // writes go to the mounting user's private overlay: that user owns the writable image (a
      // user's overlay on a snapshot root published 0644 must be writable by that user)
      base = base.with(uid, gid, null);
    }
    MountAccess access = request.access().applyTo(base);
    mnt = MountChecks.checkMountPoint(request.mountPoint());
    MountChecks.checkFuse();
    dirs = RuntimeDir.forCurrentUser();
    dirs.ensure();
    MountChecks.checkNoOtherServer(request.mountPoint(), dirs.stateFile(mnt));
    ReadStats stats = new ReadStats();
    BlockCache cache = BlockCache.withCapacity(request.cacheSize());
    this.cache = cache;
    if (host != null) {
      host.cacheOpened(cache, request.cacheSize());
    }
    var profileLookup = MountProfile.lookUp(request.profiles(), snapSpec);
    chain =
        Snapshots.openChain(
            snapSpec, cache, stats, request.parentSearch(), request.keys(), request.trust());
    snapshot = chain.top();
    profile = new MountProfile(request.profiles(), snapshot, request.trust(), profileLookup);
    // fetching starts now, while libfuse mounts: a workload started the moment the mount is ready
    // (QEMU reads its disk's first blocks at once) finds them fetched or in flight
    profile.start();
    boolean ok = false;
    try {
      if (request.overlay() != null) {
        Path dir = MountChecks.checkOverlayDir(request.overlay());
        overlay =
            OverlayImage.isOverlay(dir)
                ? OverlayImage.open(dir, Path.of(snapSpec), snapshot)
                : OverlayImage.create(dir, Path.of(snapSpec), snapshot);
        if (overlay.repairedOnOpen()) {
          Log.LOG.warn("overlay {}: {}", dir, overlay.recoverySummary());
        }
      }
      CairnFs fs;
      try {
        fs = loading.get();
      } catch (ExecutionException e) {
        Throwable c = e.getCause();
        if (c instanceof LinkageError || c instanceof RuntimeException) {
          throw new UsageException(FuseAvailability.NOT_AVAILABLE + " (" + c.getMessage() + ")");
        }
        throw e;
      }
      int code = mountAndServe(fs, uid, access, stats, cache);
      ok = true;
      return code;
    } finally {
      if (!ok) {
        cleanup();
      }
    }
  }

  /**
   * Starts loading libfuse and registering the callbacks ({@link CairnFs#CairnFs()}) on a daemon
   * thread of its own: the slowest step of getting a mount ready, done while the caller does
   * everything else.
   */
  static FutureTask<CairnFs> loadFileSystem() {
    FutureTask<CairnFs> task = new FutureTask<>(CairnFs::new);
    Thread loader = new Thread(task, "fuse-load");
    loader.setDaemon(true);
    loader.start();
    return task;
  }

  private static long pid() {
    return ProcessHandle.current().pid();
  }

  private int mountAndServe(
      CairnFs fs, long uid, MountAccess access, ReadStats stats, BlockCache cache)
      throws Exception {
    MountInfo info =
        new MountInfo(
            snapSpec,
            snapshot.header().snapshotId().toString(),
            mnt,
            logFile,
            pid(),
            request.cacheSize(),
            Instant.now());
    List<StatsReport.StreamEntry> streams =
        snapshot.streams().stream()
            .map(r -> new StatsReport.StreamEntry(r.name(), r.size()))
            .toList();
    fs.attach(
        snapshot,
        overlay,
        access,
        () -> {
          Map<String, Object> sections = new LinkedHashMap<>();
          if (overlay != null) {
            sections.put("overlay", overlay.stats());
          }
          Map<String, Object> profiling = profile.stats();
          if (!profiling.isEmpty()) {
            sections.put("profile", profiling);
          }
          List<Map<String, Object>> remote = remoteCounters();
          if (!remote.isEmpty()) {
            sections.put("remote", remote);
          }
          return StatsReport.render(
              StatsReport.build(
                  stats.snapshot(), sections, cache.weightedSize(), info, streams, Instant.now()));
        });
    String options =
        MountOptions.of(
            snapSpec, MountOptions.allowOther(uid, Path.of("/etc/fuse.conf")), overlay != null);
    fs.recordReads(profile.recorder());
    FuseSession session = new FuseSession(fs, mnt, options, request.debug());
    Log.LOG.debug("libfuse arguments: {}", session.argv());
    Thread hook = new Thread(() -> onShutdown(session), "cairn-shutdown");
    Runtime.getRuntime().addShutdownHook(hook);
    java.util.Set<Long> watchdogs = Watchdogs.current();
    session.start();
    try {
      session.awaitReady(READY_TIMEOUT);
    } catch (IOException e) {
      if (session.running()) {
        session.unmount(true);
        session.awaitExit(Duration.ofSeconds(5));
      }
      throw e;
    }
    MountState state =
        new MountState(
            pid(),
            MountState.startMillis(ProcessHandle.current()),
            Watchdogs.newSince(watchdogs, mnt),
            snapSpec,
            mnt,
            logFile,
            request.cacheSize(),
            host == null ? null : host.socket());
    state.write(dirs.stateFile(mnt));
    Log.LOG.info(
        "mounted {} at {} (pid {}, cache {}, files {}, owner {}:{} mode 0{}, options {})",
        snapSpec,
        mnt,
        pid(),
        Human.bytes(request.cacheSize()),
        snapshot.streams().stream().map(StreamReader::name).toList(),
        access.uid(),
        access.gid(),
        Integer.toOctalString(overlay != null ? access.writableMode() : access.readOnlyMode()),
        options);
    if (host != null) {
      host.ready(state);
    } else if (readyFile != null) {
      Path ready = readyFile;
      Path tmp = ready.resolveSibling(ready.getFileName() + ".tmp");
      Files.writeString(tmp, "ready " + pid() + "\n");
      Files.move(tmp, ready, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } else {
      System.out.println(
          "mounted "
              + request.snapshot()
              + " at "
              + mnt
              + " (foreground: Ctrl-C or 'cairn umount "
              + mnt
              + "' to unmount)");
      System.out.flush();
    }
    dirs.pruneOldLogs(Duration.ofDays(7)); // off the critical path: the mount is ready
    int rc = session.awaitExit();
    try {
      Runtime.getRuntime().removeShutdownHook(hook);
    } catch (IllegalStateException e) {
      // already shutting down: the hook finishes the job
    }
    cleanup();
    Log.LOG.info("unmounted {} (libfuse returned {})", mnt, rc);
    return rc == 0 ? ExitCode.OK : ExitCode.FAILURE;
  }

  /** SIGTERM / SIGINT / System.exit: unmount (lazily: we are leaving) and wait for the loop. */
  private void onShutdown(FuseSession session) {
    try {
      if (session.running()) {
        Log.LOG.info("stopping: unmounting {}", mnt);
        session.unmount(true);
        if (!session.awaitExit(Duration.ofSeconds(10))) {
          Log.LOG.warn("FUSE loop still running 10 s after unmounting {}; exiting anyway", mnt);
        }
      }
    } catch (IOException | InterruptedException e) {
      Log.LOG.warn("unmounting {} on exit failed: {}", mnt, e.toString());
    }
    cleanup();
  }

  /**
   * Removes the state file, closes the overlay and the chain; runs once. Synchronized, not a mere
   * flag: on SIGTERM the shutdown hook and the main thread (woken by the unmount) both arrive here,
   * and the JVM halts as soon as the hook returns, so the hook must not return while the main
   * thread is still halfway through (a state file left behind, an overlay not closed).
   */
  private synchronized void cleanup() {
    if (cleaned) {
      return;
    }
    cleaned = true;
    if (profile != null) {
      profile.close();
    }
    if (dirs != null && mnt != null) {
      Path state = dirs.stateFile(mnt);
      if (MountState.read(state).map(s -> s.pid() == pid()).orElse(false)) {
        try {
          Files.deleteIfExists(state);
        } catch (IOException e) {
          Log.LOG.warn("cannot delete {}: {}", state, e.toString());
        }
      }
    }
    if (overlay != null) {
      // After the FUSE loop has ended: no write can race the final flush and the lock release.
      try {
        overlay.close();
      } catch (IOException e) {
        Log.LOG.warn("closing overlay {}: {}", overlay.directory(), e.toString());
      }
    }
    if (chain != null) {
      try {
        chain.close(); // the snapshot and every parent it reads inherited blocks from
      } catch (IOException e) {
        Log.LOG.warn("closing {}: {}", snapSpec, e.toString());
      }
    }
    if (host != null && cache != null) {
      host.cacheClosed(cache);
    }
  }

  /** Per remote member of the chain (top first): its URL and request counters. */
  private List<Map<String, Object>> remoteCounters() {
    List<Map<String, Object>> out = new java.util.ArrayList<>();
    for (Snapshot m : chain.members()) {
      dev.cairn.source.ByteSource source = m.source();
      if (source instanceof dev.cairn.trust.VerifiedSource v) {
        source = v.inner(); // a --trust member: the counters are those of the source it checks
      }
      if (source instanceof dev.cairn.source.ChunkCachingSource r) {
        Map<String, Object> e = new LinkedHashMap<>();
        e.put("snapshot", r.describe());
        e.putAll(r.counters());
        out.add(e);
      }
    }
    return out;
  }
}
