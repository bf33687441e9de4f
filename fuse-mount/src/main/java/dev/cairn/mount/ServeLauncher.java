package dev.cairn.mount;

import dev.cairn.args.KeyArguments;
import dev.cairn.args.TrustArguments;
import dev.cairn.crypto.Aead;
import dev.cairn.crypto.BlockDigest;
import dev.cairn.crypto.KeyRing;
import dev.cairn.error.ExitCode;
import dev.cairn.error.UsageException;
import dev.cairn.fuse.MountTable;
import dev.cairn.sign.Trust;
import dev.cairn.source.RemoteByteSource;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Starts a mount's serving process — this jar again, {@link ServeMain} — detached from the terminal
 * (own session, stdin from /dev/null, output to the log file), and waits until it reports the mount
 * ready or dies. Stateless.
 *
 * <p>Keys reach the serving process through a pipe on its stdin ({@code --keys-on-stdin} says that
 * they follow): never its command line, and the variables holding passphrases are left out of its
 * environment.
 */
public final class ServeLauncher {
  /** How long a failed mount waits for its serving process to exit. */
  private static final Duration REFUSED_EXIT_WAIT = Duration.ofSeconds(5);

  private ServeLauncher() {}

  /** What the serving JVM is started with. */
  record Spec(
      String java,
      String classPath,
      Path cdsArchive,
      long cacheSize,
      boolean debug,
      String snapshot,
      Path mountPoint,
      Path readyFile,
      Path logFile,
      String setsid,
      Path overlay,
      List<Path> parentSearch,
      AccessOptions access,
      boolean decrypts,
      KeyRing keys,
      Trust trust,
      ProfileOptions profiles) {

    /** The same start without a class-data-sharing archive. */
    Spec withoutCds() {
      return new Spec(
          java,
          classPath,
          null,
          cacheSize,
          debug,
          snapshot,
          mountPoint,
          readyFile,
          logFile,
          setsid,
          overlay,
          parentSearch,
          access,
          decrypts,
          keys,
          trust,
          profiles);
    }
  }

  /** The {@code --parent-search} directories, absolute: the serving process runs in /. */
  private static List<Path> parentSearch(MountRequest request) {
    return request.parentSearch().stream().map(p -> p.toAbsolutePath().normalize()).toList();
  }

  /**
   * Starts what every command that talks to the serving process needs, on a thread of its own, so
   * that it is ready by the time the command has checked its arguments: the first thing {@code
   * cairn mount}, {@code umount} and {@code mounts} do.
   */
  public static void prepareClient() {
    ServerClient.preload();
  }

  /**
   * Checks {@code request}, starts its serving process and waits until the mount is ready; returns
   * the exit code.
   */
  public static int launch(MountRequest request) throws Exception {
    return launch(request, RuntimeDir.forCurrentUser());
  }

  /** {@link #launch(MountRequest)} with the runtime directory {@code dirs}. */
  static int launch(MountRequest request, RuntimeDir dirs) throws Exception {
    ServerSettings settings = ServerSettings.current();
    if (settings.enabled()) {
      ServerClient.preload();
    }
    // The serving process repeats these checks (and opens the snapshot fully); doing the cheap
    // ones here too gives the common mistakes an answer without starting a JVM.
    String snap = MountChecks.checkSnapshotSpec(request.snapshot(), request.overlay() != null);
    Path mnt = MountChecks.checkMountPoint(request.mountPoint());
    Path overlay =
        request.overlay() == null ? null : MountChecks.checkOverlayDir(request.overlay());
    List<Path> parentSearch = parentSearch(request);
    boolean decrypts = MountChecks.checkKeys(snap, parentSearch, request.keys(), request.trust());
    // --debug (libfuse's -d, debug logging) and a C2-only cipher are per-process settings: such a
    // mount gets a process of its own, as every mount did before the server existed
    boolean shared = settings.enabled() && !request.debug() && !needsC2(decrypts, request.trust());
    if (!shared) {
      MountChecks.checkFuse();
      dirs.ensure();
      MountChecks.checkNoOtherServer(request.mountPoint(), dirs.stateFile(mnt));
    }
    // (a running server checks FUSE and the mount point's other users itself, and answers with the
    // same message: the time is spent once, in the process that is up already)
    Path ready = dirs.readyFile(mnt);
    Path log = dirs.logFile(mnt);
    String java = java();
    String classPath = ClassPath.forChild();
    Cds cds = Cds.forClassPath(classPath, dirs.dir(), RemoteByteSource.isRemote(snap));
    Spec spec =
        new Spec(
            java,
            classPath,
            cds.usableArchive().orElse(null),
            request.cacheSize(),
            request.debug(),
            snap,
            mnt,
            ready,
            log,
            DetachedProcess.setsid(),
            overlay,
            parentSearch,
            request.access(),
            decrypts,
            request.keys(),
            request.trust(),
            request.profiles());
    if (shared) {
      String log2 = viaServer(spec, settings, dirs);
      if (MountTable.find(mnt).filter(MountTable.Entry::isCairn).isEmpty()) {
        throw new IOException(
            mnt + ": the cairn server reported ready but nothing is mounted (log: " + log2 + ")");
      }
      if (!decrypts) {
        cds.maybeTrain(spec);
      }
      System.out.println("mounted " + request.snapshot() + " at " + mnt + " (log: " + log2 + ")");
      return ExitCode.OK;
    }
    try {
      start(spec);
    } catch (ReadyHandshake.CrashedException e) {
      if (spec.cdsArchive() == null) {
        throw new IOException(e.getMessage());
      }
      // A damaged archive can crash the JVM while it maps it: drop it, start without one.
      cds.discard();
      spec = spec.withoutCds();
      try {
        start(spec);
      } catch (ReadyHandshake.CrashedException again) {
        throw new IOException(again.getMessage());
      }
    }
    Files.deleteIfExists(ready);
    if (MountTable.find(mnt).filter(MountTable.Entry::isCairn).isEmpty()) {
      throw new IOException(
          mnt + ": serving process reported ready but nothing is mounted (log: " + log + ")");
    }
    if (!decrypts) {
      // the training run opens the snapshot without keys: it would only fail
      cds.maybeTrain(spec);
    }
    System.out.println("mounted " + request.snapshot() + " at " + mnt + " (log: " + log + ")");
    return ExitCode.OK;
  }

  /**
   * Hands the mount to the user's serving process ({@link MountDaemon}), starting one if none
   * answers; returns the mount's log file once it is ready, or throws what the mount failed with
   * (its one line and exit code, as a serving process of its own would have reported them).
   */
  private static String viaServer(Spec spec, ServerSettings settings, RuntimeDir dirs)
      throws Exception {
    ServerAddress address =
        address(spec.java(), spec.classPath(), spec.keys(), spec.readyFile().getParent());
    Map<String, Object> req = new LinkedHashMap<>();
    req.put("op", "mount");
    req.put("args", serveArgs(spec));
    if (!spec.keys().isEmpty()) {
      ByteArrayOutputStream b = new ByteArrayOutputStream();
      KeyArguments.send(spec.keys(), b);
      req.put("keys", Base64.getEncoder().encodeToString(b.toByteArray()));
    }
    Map<String, Object> resp =
        ServerClient.callStarting(
            address,
            req,
            new ServerClient.Starter() {
              @Override
              public void prepare() throws Exception {
                // what a running server would have said, before starting one for nothing
                MountChecks.checkFuse();
                dirs.ensure();
              }

              @Override
              public long start() throws IOException {
                return DetachedProcess.start(
                    serverCommand(spec, address, settings, spec.cdsArchive()),
                    address.log(),
                    spec.keys(),
                    false);
              }
            });
    int code = ServerClient.code(resp);
    String log = JsonLine.text(resp, "log");
    if (code != ExitCode.OK) {
      String why = ServerClient.message(resp).orElse("mount failed (exit code " + code + ")");
      if (code == ExitCode.USAGE) {
        throw new UsageException(why);
      }
      throw new IOException(why + (log == null ? "" : " (log: " + log + ")"));
    }
    return log == null ? spec.logFile().toString() : log;
  }

  /**
   * This JVM's {@code java} executable, which a serving process runs too: from {@code java.home},
   * not {@code ProcessHandle.info()}, which reads five files under /proc and /etc for it (a few
   * milliseconds of every {@code cairn mount} with the page cache cold).
   */
  static String java() {
    return Path.of(System.getProperty("java.home"), "bin", "java").toString();
  }

  /** The address of the serving process for a mount with {@code keys}, in runtime directory dir. */
  static ServerAddress address(String java, String classPath, KeyRing keys, Path dir) {
    // the passphrase variables are left out of the server's environment, and so of its key too
    Map<String, String> env = new java.util.HashMap<>(System.getenv());
    KeyArguments.scrub(env, keys);
    return ServerAddress.of(dir, ServerAddress.key(java, classPath, System.getProperties(), env));
  }

  /**
   * The command line of a serving process for many mounts: the JVM flags of a serving process whose
   * cache is the whole budget ({@link ServerSettings#budgetFor}), so one mount's server has the
   * heap that mount's own process would have had.
   */
  static List<String> serverCommand(
      Spec s, ServerAddress address, ServerSettings settings, Path cdsArchive) {
    long budget = settings.budgetFor(s.cacheSize());
    List<String> c = new ArrayList<>();
    if (s.setsid() != null) {
      c.add(s.setsid());
    }
    c.add(s.java());
    c.addAll(JvmOptions.of(budget, cdsArchive, false, false));
    c.add("-XX:ErrorFile=" + address.log().resolveSibling("hs_err_pid%p.log"));
    c.add("-cp");
    c.add(s.classPath());
    c.add(MountDaemon.class.getName());
    c.add("--socket=" + address.socket());
    c.add("--idle-seconds=" + settings.idle().toSeconds());
    c.add("--cache-budget=" + budget);
    return c;
  }

  /** Starts the serving process and waits until it is ready. */
  private static void start(Spec spec) throws Exception {
    Files.deleteIfExists(spec.readyFile());
    long pid = DetachedProcess.start(command(spec), spec.logFile(), spec.keys(), true);
    // Interrupted (Ctrl-C) before the mount is ready: stop the serving process too. SIGTERM lets
    // it unmount if it got that far.
    Thread abandon =
        new Thread(
            () -> ProcessHandle.of(pid).ifPresent(ProcessHandle::destroy), "cairn-mount-abandon");
    Runtime.getRuntime().addShutdownHook(abandon);
    try {
      ReadyHandshake.awaitReady(pid, spec.readyFile(), spec.mountPoint(), spec.logFile());
    } catch (Exception e) {
      // a refused mount's process has said why and is exiting: a failed cairn mount returns with
      // nothing of it left running
      awaitExit(pid);
      throw e;
    } finally {
      try {
        Runtime.getRuntime().removeShutdownHook(abandon);
      } catch (IllegalStateException e) {
        // shutting down: the hook runs
      }
    }
  }

  /** Waits up to {@link #REFUSED_EXIT_WAIT} for process {@code pid} to exit. */
  private static void awaitExit(long pid) {
    Optional<ProcessHandle> h = ProcessHandle.of(pid);
    if (h.isEmpty()) {
      return;
    }
    try {
      h.get().onExit().get(REFUSED_EXIT_WAIT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (ExecutionException | TimeoutException e) {
      // still there after the wait: it exits on its own
    }
  }

  /**
   * Whether the serving process needs C2, which it otherwise goes without: only where a cipher or
   * hash it must run every read has no libcrypto to run in, and the JDK's is fast only with C2's
   * intrinsics (AES-GCM for an encrypted chain, SHA-256 for a verified one).
   */
  static boolean needsC2(Spec s) {
    return needsC2(s.decrypts(), s.trust());
  }

  private static boolean needsC2(boolean decrypts, Trust trust) {
    return (decrypts && !Aead.nativeAvailable())
        || (trust.required() && !BlockDigest.nativeSha256Available());
  }

  /** The serving process's command line. */
  static List<String> command(Spec s) {
    List<String> c = new ArrayList<>();
    if (s.setsid() != null) {
      c.add(s.setsid());
    }
    c.add(s.java());
    c.addAll(JvmOptions.of(s.cacheSize(), s.cdsArchive(), s.debug(), needsC2(s)));
    // crash reports next to the log, not in whatever directory the user mounted from
    c.add("-XX:ErrorFile=" + s.logFile().resolveSibling("hs_err_pid%p.log"));
    c.add("-cp");
    c.add(s.classPath());
    c.add(ServeMain.class.getName());
    c.addAll(serveArgs(s));
    c.add("--ready-file=" + s.readyFile());
    c.add("--log-file=" + s.logFile());
    if (!s.keys().isEmpty()) {
      c.add("--keys-on-stdin"); // a flag only: the keys follow on stdin
    }
    return c;
  }

  /** The mount's own {@code --key=value} arguments, as {@link ServeMain#request} reads them. */
  static List<String> serveArgs(Spec s) {
    List<String> c = new ArrayList<>();
    c.add("--snapshot=" + s.snapshot());
    for (int i = 0; i < s.parentSearch().size(); i++) {
      c.add("--parent-search-" + i + "=" + s.parentSearch().get(i));
    }
    c.add("--mount-point=" + s.mountPoint());
    c.add("--cache-size=" + s.cacheSize());
    if (s.overlay() != null) {
      c.add("--overlay=" + s.overlay());
    }
    c.addAll(s.access().serveArgs());
    c.addAll(TrustArguments.serveArgs(s.trust()));
    c.addAll(s.profiles().serveArgs());
    if (s.debug()) {
      c.add("--debug");
    }
    return c;
  }
}
