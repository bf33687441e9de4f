package dev.cairn.mount;

import dev.cairn.args.KeyArguments;
import dev.cairn.args.Snapshots;
import dev.cairn.args.TrustArguments;
import dev.cairn.crypto.KeyRing;
import dev.cairn.error.ExitCode;
import dev.cairn.error.UsageException;
import dev.cairn.fuse.CairnFs;
import dev.cairn.fuse.FuseAvailability;
import dev.cairn.fuse.FuseSession;
import dev.cairn.fuse.MountAccess;
import dev.cairn.fuse.MountInfo;
import dev.cairn.fuse.MountOptions;
import dev.cairn.fuse.MountTable;
import dev.cairn.fuse.StatsReport;
import dev.cairn.io.TemporaryFolder;
import dev.cairn.read.BlockCache;
import dev.cairn.read.ReadStats;
import dev.cairn.read.Snapshot;
import dev.cairn.read.SnapshotChain;
import dev.cairn.read.StreamReader;
import dev.cairn.sign.Trust;
import dev.cairn.write.Pack;
import dev.cairn.write.WriterOptions;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.slf4j.LoggerFactory;

/**
 * Entry point of the detached serving process that {@code cairn mount} starts. Internal: its
 * arguments are {@code --key=value} pairs written by {@link ServeLauncher}, parsed by hand so the
 * process does not pay for building the whole picocli command tree (start-up time counts: {@code
 * cairn mount} waits for it). Errors end as one {@code cairn: ...} line on stderr (the log file,
 * which the waiting parent reads) and the usual exit codes. With {@code --keys-on-stdin} (a flag,
 * no value) the key ring follows on stdin, written by {@link ServeLauncher} through a pipe: no
 * secret is in this process's arguments or environment.
 *
 * <p>{@code --cds-train} instead loads and exercises the classes a serving process needs and exits,
 * so a JVM started with {@code -XX:ArchiveClassesAtExit} writes a class-data-sharing archive for
 * later serving processes (see {@link Cds}).
 */
public final class ServeMain {
  private ServeMain() {}

  public static void main(String[] args) {
    System.exit(run(args));
  }

  static int run(String[] args) {
    Map<String, String> a = parse(List.of(args));
    if (a == null) {
      System.err.println(
          "cairn: internal serve process: unexpected argument "
              + List.of(args).stream().filter(arg -> !arg.startsWith("--")).findFirst().orElse(""));
      return ExitCode.USAGE;
    }
    boolean debug = a.containsKey("debug");
    try {
      if (a.containsKey("cds-check")) {
        return ExitCode.OK; // the JVM mapped the archive under test
      }
      if (a.containsKey("cds-train")) {
        train(a.getOrDefault("snapshot", ""));
        return ExitCode.OK;
      }
      KeyRing keys =
          a.containsKey("keys-on-stdin") ? KeyArguments.receive(System.in) : KeyRing.NONE;
      MountRequest request = request(a, keys);
      return new MountServer(
              request,
              a.containsKey("ready-file") ? Path.of(a.get("ready-file")) : null,
              a.containsKey("log-file") ? Path.of(a.get("log-file")) : null)
          .serve();
    } catch (Exception | OutOfMemoryError e) {
      System.err.println("cairn: " + ExitCode.message(e));
      if (debug) {
        e.printStackTrace();
      }
      System.err.flush();
      int code = ExitCode.of(e);
      if (a.containsKey("ready-file")) {
        reportFailure(Path.of(a.get("ready-file")), code);
      }
      return code;
    }
  }

  /**
   * The request that {@code --key=value} arguments (as {@link ServeLauncher#serveArgs} writes them)
   * and {@code keys} describe; the cache size checked.
   */
  static MountRequest request(Map<String, String> a, KeyRing keys) throws UsageException {
    long cache;
    try {
      cache = Long.parseLong(require(a, "cache-size"));
    } catch (NumberFormatException e) {
      throw new UsageException("internal serve process: bad --cache-size");
    }
    MountChecks.checkCacheSize(cache);
    return new MountRequest(
        require(a, "snapshot"),
        require(a, "mount-point"),
        cache,
        a.containsKey("debug"),
        a.get("overlay"),
        parentSearch(a),
        AccessOptions.fromServeArgs(a),
        keys,
        TrustArguments.fromServeArgs(a),
        ProfileOptions.fromServeArgs(a));
  }

  /** {@code --key=value} arguments (a bare {@code --flag} has the value ""); null if malformed. */
  static Map<String, String> parse(List<String> args) {
    Map<String, String> a = new HashMap<>();
    for (String arg : args) {
      int eq = arg.indexOf('=');
      if (!arg.startsWith("--")) {
        return null;
      }
      a.put(eq < 0 ? arg.substring(2) : arg.substring(2, eq), eq < 0 ? "" : arg.substring(eq + 1));
    }
    return a;
  }

  /** Tells the waiting {@code cairn mount} how this failed (the message is in the log). */
  private static void reportFailure(Path readyFile, int code) {
    try {
      Path tmp = readyFile.resolveSibling(readyFile.getFileName() + ".tmp");
      Files.writeString(tmp, "error " + code + "\n");
      Files.move(
          tmp, readyFile, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException | RuntimeException e) {
      // the parent sees the process gone and reads the log instead
    }
  }

  /** {@code --parent-search-0=DIR}, {@code --parent-search-1=DIR}, … in order. */
  private static List<Path> parentSearch(Map<String, String> a) {
    List<Path> dirs = new java.util.ArrayList<>();
    for (int i = 0; a.containsKey("parent-search-" + i); i++) {
      dirs.add(Path.of(a.get("parent-search-" + i)));
    }
    return dirs;
  }

  private static String require(Map<String, String> a, String key) throws UsageException {
    String v = a.get(key);
    if (v == null) {
      throw new UsageException("internal serve process: missing --" + key);
    }
    return v;
  }

  /**
   * The classes of the server for many mounts ({@link MountDaemon}): loaded, and its protocol and
   * socket exercised on a scratch socket, so that the first mount of a new server starts from the
   * archive too.
   */
  private static void trainServer(BlockCache cache) throws IOException {
    // class literals, not names: a class renamed or split away fails the build, not the training
    for (Class<?> c :
        List.of(
            MountDaemon.class,
            HostedMount.class,
            FileSystemSpare.class,
            ThreadLog.class,
            Watchdogs.class,
            ServerAddress.class,
            ServerClient.class)) {
      try {
        Class.forName(c.getName(), true, ServeMain.class.getClassLoader());
      } catch (ClassNotFoundException e) {
        throw new IllegalStateException(e);
      }
    }
    new CacheBudget(1 << 20).add(cache, 1 << 20);
    Path dir = Files.createTempDirectory("cairn-train");
    Path sock = dir.resolve("s.sock");
    try (java.nio.channels.ServerSocketChannel server =
        java.nio.channels.ServerSocketChannel.open(java.net.StandardProtocolFamily.UNIX)) {
      server.bind(java.net.UnixDomainSocketAddress.of(sock));
      Thread t =
          new Thread(
              () -> {
                try (java.nio.channels.SocketChannel c = server.accept()) {
                  c.getOption(jdk.net.ExtendedSocketOptions.SO_PEERCRED);
                  JsonLine.readLine(c, 1 << 20);
                  JsonLine.send(c, MountDaemon.error(0, "ok"));
                } catch (IOException e) {
                  // training only
                }
              });
      t.start();
      Map<String, Object> req = new java.util.LinkedHashMap<>();
      req.put("op", "list");
      ServerClient.call(sock, req);
      t.join();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      Files.deleteIfExists(sock);
      Files.deleteIfExists(dir);
    }
  }

  /**
   * Exercises the serving code paths without mounting (for the class-data-sharing archive), on the
   * local snapshot {@code snap}; or, when it is empty (the archive of a server for remote mounts:
   * the training must not read the user's remote snapshot), on a small one packed for the purpose,
   * read from the file and then over the loopback ({@link RemoteTraining}).
   */
  private static void train(String snap) throws IOException, UsageException {
    if (!snap.isEmpty()) {
      trainOn(snap);
      return;
    }
    Path dir = Files.createTempDirectory("cairn-train-snapshot");
    try {
      Path input = dir.resolve("train.img");
      byte[] bytes = new byte[2 << 20];
      new Random(1).nextBytes(bytes);
      Arrays.fill(bytes, 1 << 20, bytes.length, (byte) 0x5a); // a compressible half
      Files.write(input, bytes);
      Path made = dir.resolve("train.cairn");
      Pack.run(
          List.of(new Pack.Input(input, "train.img")), made, WriterOptions.defaults(), n -> {});
      trainOn(made.toString());
      try {
        RemoteTraining.run(made, dir);
      } catch (IOException | RuntimeException | LinkageError e) {
        // the archive just lacks the remote sources' classes
      }
    } finally {
      TemporaryFolder.delete(dir);
    }
  }

  private static void trainOn(String snap) throws IOException, UsageException {
    LoggerFactory.getLogger(ServeMain.class).debug("training");
    ReadStats stats = new ReadStats();
    BlockCache cache = BlockCache.withCapacity(16 << 20);
    Path mnt = Path.of("/nonexistent-cairn-training");
    try (SnapshotChain chain =
        Snapshots.openChain(snap, cache, stats, List.of(), KeyRing.NONE, Trust.NONE)) {
      Snapshot s = chain.top();
      ByteBuffer buf = ByteBuffer.allocateDirect(1 << 20);
      for (StreamReader r : s.streams()) {
        buf.clear().limit((int) Math.min(r.blockSize(), buf.capacity()));
        r.read(0, buf);
        buf.clear().limit(100);
        r.read(Math.max(0, r.size() / 2), buf);
      }
      MountInfo info = new MountInfo(snap, "", mnt, null, 1, 1, Instant.now());
      StatsReport.render(
          StatsReport.build(
              stats.snapshot(),
              cache.weightedSize(),
              info,
              List.of(new StatsReport.StreamEntry("x", 1)),
              Instant.now()));
      FuseAvailability.problem();
      MountTable.read();
      MountState st = new MountState(1, 1, 0, snap, mnt, null, 1);
      MountState.decode(st.encode());
      trainServer(cache);
      try {
        CairnFs fs = new CairnFs(s, new MountAccess(0, 0, 0644), () -> new byte[0]);
        new FuseSession(fs, mnt, MountOptions.of("x", false), false).argv();
      } catch (LinkageError | RuntimeException e) {
        // no libfuse here: the archive just lacks those classes
      }
    }
  }
}
