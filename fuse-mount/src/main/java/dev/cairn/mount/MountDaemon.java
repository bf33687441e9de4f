package dev.cairn.mount;

import dev.cairn.args.KeyArguments;
import dev.cairn.crypto.KeyRing;
import dev.cairn.error.ExitCode;
import dev.cairn.fuse.Fusermount;
import dev.cairn.fuse.MountTable;
import dev.cairn.read.BlockCache;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import jdk.net.ExtendedSocketOptions;
import jdk.net.UnixDomainPrincipal;

/**
 * The serving process of one user's mounts: {@code cairn mount} starts it on first use ({@link
 * ServerClient}) and hands it each mount over a Unix domain socket ({@link ServerAddress}); it
 * leaves {@link ServerSettings#idle()} after its last mount is gone.
 *
 * <p>Each mount runs exactly as in a process of its own: a {@link MountServer} on a thread of its
 * own, with its own FUSE session, threads, log file ({@link ThreadLog}), state file, shutdown hook
 * and {@code auto_unmount} watchdog, so that {@code kill -9} of this process still leaves no mount
 * point dead. Everything a mount does that can fail is caught on its own thread and ends that mount
 * only. The block caches share one budget ({@link CacheBudget}).
 *
 * <p>Protocol (version {@value #PROTOCOL}): a connection carries one request line and one response
 * line, each a JSON object ({@link JsonLine}) with {@code "v"}. Requests: {@code {"op":"mount",
 * "args":[...], "keys":BASE64}} (the arguments {@link ServeMain} takes; keys as {@link
 * KeyArguments#send} writes them), {@code {"op":"umount","mount_point":ABS}}, {@code
 * {"op":"list"}}. Responses carry {@code "code"} (the exit code the client returns) and, when it is
 * not 0, {@code "message"} (its one line). A connection from any user but this process's own is
 * refused (checked with {@code SO_PEERCRED}), besides the socket being 0600 in a 0700 directory.
 *
 * <p>Thread-safe: one thread accepts, one per connection handles it, one per mount serves it; the
 * table of mounts is guarded by {@code this}.
 */
public final class MountDaemon {
  /** The protocol version spoken here. */
  static final int PROTOCOL = 1;

  private final Path socket;
  private final RuntimeDir dirs;
  private final CacheBudget budget;
  private final Duration idle;
  private final long pid = ProcessHandle.current().pid();
  private final Instant started = Instant.now();
  private final FileSystemSpare spare = new FileSystemSpare();

  // guarded by this
  private final Map<String, HostedMount> mounts = new LinkedHashMap<>();
  private int busy; // connections being handled
  private long idleSince = System.nanoTime();
  private boolean closing;
  private ServerSocketChannel listener;

  private MountDaemon(Path socket, RuntimeDir dirs, long budget, Duration idle) {
    this.socket = socket;
    this.dirs = dirs;
    this.budget = new CacheBudget(budget);
    this.idle = idle;
  }

  /** Entry point: {@code --socket=PATH --idle-seconds=N --cache-budget=BYTES}. */
  public static void main(String[] args) {
    System.exit(run(args));
  }

  static int run(String[] args) {
    Map<String, String> a = ServeMain.parse(List.of(args));
    try {
      if (a == null || !a.containsKey("socket")) {
        throw new dev.cairn.error.UsageException("internal server process: bad arguments");
      }
      ThreadLog.install();
      RuntimeDir dirs = RuntimeDir.forCurrentUser();
      dirs.ensure();
      MountDaemon d =
          new MountDaemon(
              Path.of(a.get("socket")),
              dirs,
              Long.parseLong(a.getOrDefault("cache-budget", Long.toString(1L << 30))),
              Duration.ofSeconds(Long.parseLong(a.getOrDefault("idle-seconds", "60"))));
      d.serve();
      return ExitCode.OK;
    } catch (Exception e) {
      System.err.println("cairn: " + ExitCode.message(e));
      return ExitCode.of(e);
    }
  }

  /** Listens until idle for {@link #idle}. */
  private void serve() throws IOException {
    UserPrincipal owner = Files.getOwner(dirs.dir());
    Files.deleteIfExists(socket); // a dead server's: whoever started us holds the start lock
    ServerSocketChannel ch = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
    ch.bind(UnixDomainSocketAddress.of(socket));
    Files.setPosixFilePermissions(socket, PosixFilePermissions.fromString("rw-------"));
    synchronized (this) {
      listener = ch;
    }
    // the first mount's file system object, and the one-time set-up of opening a snapshot, are
    // done while its client connects and asks
    spare.prepare();
    String cp = System.getProperty("java.class.path", "");
    ServerWarmUp.start(cp.endsWith(".jar") && !cp.contains(":") ? Path.of(cp) : null);
    Runtime.getRuntime().addShutdownHook(new Thread(this::close, "cairn-server-exit"));
    Thread watch = new Thread(this::watchIdle, "cairn-idle");
    watch.setDaemon(true);
    watch.start();
    log(
        "serving on "
            + socket
            + " (pid "
            + pid
            + ", cache budget "
            + dev.cairn.args.Human.bytes(budget.budget())
            + ", idle exit "
            + idle.toSeconds()
            + " s)");
    while (true) {
      SocketChannel c;
      try {
        c = ch.accept();
      } catch (ClosedChannelException e) {
        break; // idle: closed by watchIdle
      }
      synchronized (this) {
        if (closing) {
          c.close();
          continue;
        }
        busy++;
      }
      Thread t = new Thread(() -> handle(c, owner), "cairn-request");
      t.setDaemon(true);
      t.start();
    }
    log("no mounts for " + idle.toSeconds() + " s: exiting");
  }

  /** A mount's thread has ended: it is no longer served here. */
  private synchronized void ended(HostedMount m) {
    mounts.remove(m.mountPoint.toString(), m);
    idleSince = System.nanoTime();
  }

  static void log(String line) {
    System.err.println(Instant.now() + " " + line);
  }

  /** Closes the socket once nothing is mounted or being asked for {@link #idle}. */
  private void watchIdle() {
    long step = Math.max(50, Math.min(1000, idle.toMillis() / 4));
    while (true) {
      try {
        Thread.sleep(step);
      } catch (InterruptedException e) {
        return;
      }
      synchronized (this) {
        if (mounts.isEmpty() && busy == 0 && System.nanoTime() - idleSince >= idle.toNanos()) {
          close();
          return;
        }
      }
    }
  }

  /**
   * Stops listening: the socket file first, so a {@code cairn mount} from now on starts a new
   * server rather than reaching this one; a client already queued sees the connection closed and
   * tries again.
   */
  private synchronized void close() {
    if (closing) {
      return;
    }
    closing = true;
    spare.close();
    try {
      Files.deleteIfExists(socket);
    } catch (IOException e) {
      // a new server replaces it
    }
    try {
      if (listener != null) {
        listener.close();
      }
    } catch (IOException e) {
      // leaving anyway
    }
  }

  private void handle(SocketChannel c, UserPrincipal owner) {
    try (c) {
      UnixDomainPrincipal peer = c.getOption(ExtendedSocketOptions.SO_PEERCRED);
      boolean mine = peer.user().equals(owner);
      // a stranger's line is read too (bounded), so that it gets the answer rather than a reset
      String line = JsonLine.readLine(c, mine ? MAX_REQUEST : 4096);
      if (!mine) {
        log("refused a connection from user " + peer.user().getName() + " (not " + owner + ")");
        reply(c, error(ExitCode.USAGE, "this cairn server serves only user " + owner.getName()));
        return;
      }
      if (line == null) {
        return; // a client checking that the server is up
      }
      Map<String, Object> request = JsonLine.read(line);
      if (JsonLine.number(request, "v", -1) != PROTOCOL) {
        reply(
            c,
            error(
                ExitCode.FAILURE,
                "the cairn server (pid "
                    + pid
                    + ") speaks protocol "
                    + PROTOCOL
                    + ", not "
                    + request.get("v")));
        return;
      }
      String op = JsonLine.text(request, "op");
      if ("mount".equals(op)) {
        mount(c, request);
      } else if ("umount".equals(op)) {
        reply(c, umount(JsonLine.text(request, "mount_point")));
      } else if ("list".equals(op)) {
        reply(c, list());
      } else {
        reply(c, error(ExitCode.USAGE, "unknown request " + op));
      }
    } catch (IOException | RuntimeException e) {
      log("request failed: " + e);
    } finally {
      synchronized (this) {
        busy--;
        idleSince = System.nanoTime();
      }
    }
  }

  /** Longest request line taken (a mount's arguments and keys are a few KiB). */
  private static final int MAX_REQUEST = 1 << 20;

  private static void reply(SocketChannel c, Map<String, Object> response) throws IOException {
    response.put("v", PROTOCOL);
    JsonLine.send(c, response);
  }

  static Map<String, Object> error(int code, String message) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("code", code);
    m.put("message", message);
    return m;
  }

  private static Map<String, Object> ok() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("code", ExitCode.OK);
    return m;
  }

  @SuppressWarnings("unchecked")
  private void mount(SocketChannel c, Map<String, Object> request) throws IOException {
    Map<String, String> a =
        request.get("args") instanceof List<?> l ? ServeMain.parse((List<String>) l) : null;
    if (a == null) {
      reply(c, error(ExitCode.USAGE, "malformed mount request"));
      return;
    }
    MountRequest r;
    try {
      String k = JsonLine.text(request, "keys");
      KeyRing keys =
          k == null
              ? KeyRing.NONE
              : KeyArguments.receive(new ByteArrayInputStream(Base64.getDecoder().decode(k)));
      r = ServeMain.request(a, keys);
    } catch (IOException | IllegalArgumentException e) {
      reply(c, error(ExitCode.of(e), ExitCode.message(e)));
      return;
    }
    Path mnt = Path.of(r.mountPoint());
    HostedMount s = new HostedMount(r, mnt, dirs.logFile(mnt), budget, socket, spare, this::ended);
    synchronized (this) {
      if (mounts.containsKey(mnt.toString())) {
        reply(
            c,
            error(
                ExitCode.USAGE,
                r.mountPoint() + ": cairn process " + pid + " is already serving it"));
        return;
      }
      mounts.put(mnt.toString(), s);
    }
    log("mounting " + r.snapshot() + " at " + mnt + " (log: " + s.log + ")");
    s.start();
    Map<String, Object> response;
    try {
      s.ready.get();
      response = ok();
      response.put("pid", pid);
      response.put("log", s.log.toString());
    } catch (ExecutionException e) {
      Throwable t = e.getCause();
      response = error(ExitCode.of(t), ExitCode.message(t));
      response.put("log", s.log.toString());
      log("mount at " + mnt + " failed: " + ExitCode.message(t));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return;
    }
    try {
      reply(c, response);
    } catch (IOException e) {
      if (s.ready.isCompletedExceptionally()) {
        return;
      }
      // the client gave up (Ctrl-C) while the mount came up: nobody knows it is there
      log("client of " + mnt + " went away: unmounting it");
      Fusermount.unmount(mnt, true);
    }
  }

  private Map<String, Object> umount(String mountPoint) throws IOException {
    HostedMount s;
    synchronized (this) {
      s = mountPoint == null ? null : mounts.get(mountPoint);
    }
    if (s == null) {
      Map<String, Object> m = error(ExitCode.USAGE, mountPoint + ": not served by this process");
      m.put("served", false);
      return m;
    }
    Path mnt = s.mountPoint;
    Fusermount.Result r = Fusermount.unmount(mnt, false);
    if (!r.ok()) {
      if (r.busy()) {
        Map<String, Object> m = error(ExitCode.FAILURE, "busy");
        m.put("busy", true);
        return m;
      }
      if (MountTable.find(mnt).isPresent()) {
        return error(ExitCode.FAILURE, r.message());
      }
    }
    try {
      s.done.get(Unmounter.EXIT_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      return error(
          ExitCode.FAILURE,
          "unmounted, but its FUSE loop in process "
              + pid
              + " did not end within "
              + Unmounter.EXIT_TIMEOUT.toSeconds()
              + " s");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted");
    } catch (ExecutionException e) {
      // done never fails
    }
    log("unmounted " + mnt);
    return ok();
  }

  private Map<String, Object> list() {
    List<Object> out = new ArrayList<>();
    List<HostedMount> all;
    synchronized (this) {
      all = new ArrayList<>(mounts.values());
    }
    for (HostedMount s : all) {
      MountState st = s.ready.getNow(null);
      if (st == null || s.done.isDone()) {
        continue; // still coming up, or already leaving
      }
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("mount_point", st.mountPoint().toString());
      m.put("snapshot", st.snapshot());
      m.put("pid", pid);
      m.put("overlay", s.request.overlay());
      m.put("since", s.since.toString());
      BlockCache cache = s.cache;
      m.put("cache_size", cache == null ? s.request.cacheSize() : cache.capacity());
      m.put("cache_used", cache == null ? 0L : cache.weightedSize());
      m.put("log", s.log.toString());
      out.add(m);
    }
    Map<String, Object> r = ok();
    r.put("pid", pid);
    r.put("since", started.toString());
    r.put("cache_budget", budget.budget());
    r.put("mounts", out);
    return r;
  }
}
