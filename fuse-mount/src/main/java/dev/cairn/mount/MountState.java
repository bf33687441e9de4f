package dev.cairn.mount;

import java.io.IOException;
import java.io.Reader;
import java.io.StringReader;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.Optional;
import java.util.Properties;

/**
 * The state file of one mount, written by its serving process once the mount is ready and removed
 * when it exits: which process serves it (pid and start time, so a reused pid is not mistaken for
 * it), the fusermount watchdog's pid, the snapshot, and the log. Immutable.
 *
 * @param pid serving process
 * @param startMillis the serving process's start time (epoch ms), 0 if unknown
 * @param helperPid the {@code fusermount} auto-unmount watchdog, 0 if none was found
 * @param snapshot snapshot file (absolute) or URL
 * @param mountPoint mount point
 * @param logFile log file, or null for a foreground mount logging to its terminal
 * @param cacheSize block cache capacity in bytes
 * @param server the control socket of the serving process when it serves many mounts ({@link
 *     MountDaemon}), null when the process serves only this one (a {@code --foreground} mount, or
 *     one the per-mount process {@link ServeMain} serves)
 */
public record MountState(
    long pid,
    long startMillis,
    long helperPid,
    String snapshot,
    Path mountPoint,
    Path logFile,
    long cacheSize,
    Path server) {

  /** The state of a mount whose process serves only it. */
  public MountState(
      long pid,
      long startMillis,
      long helperPid,
      String snapshot,
      Path mountPoint,
      Path logFile,
      long cacheSize) {
    this(pid, startMillis, helperPid, snapshot, mountPoint, logFile, cacheSize, null);
  }

  /** Serializes to a small properties text. */
  public String encode() {
    Properties p = new Properties();
    p.setProperty("pid", Long.toString(pid));
    p.setProperty("start_millis", Long.toString(startMillis));
    p.setProperty("helper_pid", Long.toString(helperPid));
    p.setProperty("snapshot", snapshot);
    p.setProperty("mount_point", mountPoint.toString());
    if (logFile != null) {
      p.setProperty("log", logFile.toString());
    }
    p.setProperty("cache_size", Long.toString(cacheSize));
    if (server != null) {
      p.setProperty("server", server.toString());
    }
    StringWriter w = new StringWriter();
    try {
      p.store(w, "cairn mount state");
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    return w.toString();
  }

  /** Parses {@link #encode()}'s output; throws {@link IOException} if a field is missing or bad. */
  public static MountState decode(String text) throws IOException {
    Properties p = new Properties();
    try (Reader r = new StringReader(text)) {
      p.load(r);
    }
    try {
      String log = p.getProperty("log");
      String server = p.getProperty("server");
      return new MountState(
          Long.parseLong(required(p, "pid")),
          Long.parseLong(p.getProperty("start_millis", "0")),
          Long.parseLong(p.getProperty("helper_pid", "0")),
          required(p, "snapshot"),
          Path.of(required(p, "mount_point")),
          log == null ? null : Path.of(log),
          Long.parseLong(p.getProperty("cache_size", "0")),
          server == null ? null : Path.of(server));
    } catch (NumberFormatException e) {
      throw new IOException("malformed mount state: " + e.getMessage());
    }
  }

  private static String required(Properties p, String key) throws IOException {
    String v = p.getProperty(key);
    if (v == null) {
      throw new IOException("malformed mount state: no " + key);
    }
    return v;
  }

  /** Writes atomically (temporary file, then rename). */
  public void write(Path file) throws IOException {
    Path tmp = file.resolveSibling(file.getFileName() + ".tmp" + ProcessHandle.current().pid());
    Files.writeString(tmp, encode(), StandardCharsets.UTF_8);
    Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
  }

  /** Reads a state file; empty if it does not exist or cannot be parsed. */
  public static Optional<MountState> read(Path file) {
    try {
      return Optional.of(decode(Files.readString(file, StandardCharsets.UTF_8)));
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  /** The serving process, if it is still the process this state names. */
  public Optional<ProcessHandle> liveProcess() {
    return live(pid, startMillis);
  }

  /**
   * The process {@code pid} if it runs (not a zombie) and, when {@code startMillis} is known,
   * started then.
   */
  public static Optional<ProcessHandle> live(long pid, long startMillis) {
    if (pid <= 0) {
      return Optional.empty();
    }
    return ProcessHandle.of(pid)
        .filter(h -> running(h.pid()))
        .filter(
            h ->
                startMillis == 0
                    || h.info()
                        .startInstant()
                        .map(Instant::toEpochMilli)
                        .map(s -> Math.abs(s - startMillis) < 2000)
                        .orElse(true));
  }

  /** Start time of a process in epoch milliseconds, 0 if unknown. */
  public static long startMillis(ProcessHandle h) {
    return h.info().startInstant().map(Instant::toEpochMilli).orElse(0L);
  }

  /**
   * Whether process {@code pid} still runs: exists and is not a zombie (an exited process whose
   * parent — after a detached start, often init — has not reaped it yet).
   */
  public static boolean running(long pid) {
    try {
      String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
      int close = stat.lastIndexOf(')');
      return close > 0 && close + 2 < stat.length() && stat.charAt(close + 2) != 'Z';
    } catch (IOException e) {
      return false;
    }
  }

  /**
   * Polls (every 10 ms) until {@code pid} has stopped running or {@code timeoutMillis} passed; true
   * if it stopped. {@link ProcessHandle#onExit()} of a process that is not our child polls only
   * every 300+ ms, too coarse for a command someone waits on.
   */
  public static boolean awaitGone(long pid, long timeoutMillis) throws InterruptedException {
    long deadline = System.nanoTime() + timeoutMillis * 1_000_000L;
    while (running(pid)) {
      if (System.nanoTime() > deadline) {
        return false;
      }
      Thread.sleep(10);
    }
    return true;
  }
}
