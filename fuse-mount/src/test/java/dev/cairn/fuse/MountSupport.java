package dev.cairn.fuse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.cairn.mount.MountState;
import dev.cairn.mount.RuntimeDir;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Helpers for the integration tests that mount for real: run the built {@code cairn.jar} and
 * capture exit code and output, wait for mounts to appear and vanish, find serving processes, and
 * tear everything down (loop mounts, loop devices, FUSE mounts, processes) so that one failing test
 * never leaves a mount behind for the next.
 *
 * <p>These tests need FUSE. A machine without it fails them (see {@link #requireFuse()}); they
 * never pass by skipping.
 */
final class MountSupport {
  static final Duration TIMEOUT = Duration.ofSeconds(60);

  private static Path jar;

  private MountSupport() {}

  /** The outcome of one command. */
  record Run(List<String> command, int exit, String out, String err, long millis) {
    /** Asserts exit 0 and returns this. */
    Run ok() {
      assertEquals(0, exit, "command failed: " + String.join(" ", command) + "\n" + err + out);
      return this;
    }

    /** Asserts exit {@code code} with exactly one line on stderr containing {@code fragment}. */
    Run fails(int code, String fragment) {
      assertEquals(code, exit, "exit code of " + String.join(" ", command) + "\n" + err + out);
      String[] lines = err.strip().split("\n");
      assertEquals(1, lines.length, "one line on stderr, got:\n" + err);
      assertTrue(lines[0].startsWith("cairn: "), lines[0]);
      assertTrue(lines[0].contains(fragment), "expected '" + fragment + "' in: " + lines[0]);
      return this;
    }
  }

  /** Fails the test unless FUSE is usable here: these tests must never pass by skipping. */
  static void requireFuse() {
    Optional<String> problem = FuseAvailability.problem();
    if (problem.isPresent()) {
      fail(problem.get() + " — the mount integration tests need /dev/fuse, fuse and libfuse2");
    }
    assertEquals(0, RuntimeDir.currentUid(), "the mount integration tests run as root");
  }

  /**
   * The jar under test: {@code target/cairn.jar}, copied once (by size and mtime) so that a
   * concurrent rebuild of {@code target/} cannot change classes under a running serving process.
   */
  static synchronized Path jar() throws IOException {
    if (jar == null) {
      Path built = Path.of(System.getProperty("cairn.jar", "target/cairn.jar")).toAbsolutePath();
      assertTrue(Files.isRegularFile(built), built + " missing: run mvn package first");
      Path dir = Files.createDirectories(Path.of("/var/tmp/cairn-it"));
      Path copy =
          dir.resolve(
              "cairn-"
                  + Files.size(built)
                  + "-"
                  + Files.getLastModifiedTime(built).toMillis()
                  + ".jar");
      try (var old = Files.list(dir)) {
        // copies of earlier builds: keep the newest few, and any made in the last day (test runs
        // of other checkouts may be using them)
        long dayAgo = System.currentTimeMillis() - 86_400_000L;
        List<Path> others =
            old.filter(p -> !p.equals(copy) && p.getFileName().toString().endsWith(".jar"))
                .sorted(
                    (a, b) -> Long.compare(b.toFile().lastModified(), a.toFile().lastModified()))
                .toList();
        for (Path p : others.subList(Math.min(3, others.size()), others.size())) {
          if (p.toFile().lastModified() < dayAgo) {
            Files.deleteIfExists(p);
          }
        }
      }
      if (!Files.exists(copy)) {
        Path tmp = Files.createTempFile(dir, "cairn", ".tmp");
        Files.copy(
            built, tmp, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.COPY_ATTRIBUTES);
        Files.move(tmp, copy, StandardCopyOption.ATOMIC_MOVE);
      }
      jar = copy;
    }
    return jar;
  }

  /** Runs {@code cairn ARGS} the way a user would (the jar, a fresh JVM). */
  static Run cairn(String... args) throws IOException, InterruptedException {
    return cairn(java.util.Map.of(), args);
  }

  /** Like {@link #cairn(String...)}, with {@code env} added to the environment. */
  static Run cairn(java.util.Map<String, String> env, String... args)
      throws IOException, InterruptedException {
    return cairn(List.of(), env, args);
  }

  /** Like {@link #cairn(java.util.Map, String...)}, with JVM options such as {@code -Dcairn.…}. */
  static Run cairn(List<String> jvmOptions, java.util.Map<String, String> env, String... args)
      throws IOException, InterruptedException {
    return run(command(jvmOptions, args), env);
  }

  private static List<String> command(List<String> jvmOptions, String... args) throws IOException {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.addAll(List.of("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xshare:auto"));
    cmd.addAll(jvmOptions);
    cmd.add("-jar");
    cmd.add(jar().toString());
    cmd.addAll(Arrays.asList(args));
    return cmd;
  }

  /** Runs a command; stdin from /dev/null, stdout and stderr captured (through files). */
  static Run run(List<String> cmd) throws IOException, InterruptedException {
    return run(cmd, java.util.Map.of());
  }

  /** Runs a command with {@code env} added to the environment; stdin from /dev/null. */
  static Run run(List<String> cmd, java.util.Map<String, String> env)
      throws IOException, InterruptedException {
    Raw r = runRaw(cmd, env);
    return new Run(
        r.command(), r.exit(), new String(r.out(), StandardCharsets.UTF_8), r.err(), r.millis());
  }

  /** The outcome of one command whose stdout is binary (e.g. {@code cairn cat}). */
  record Raw(List<String> command, int exit, byte[] out, String err, long millis) {}

  /** Like {@link #cairn(java.util.Map, String...)}, keeping stdout as bytes. */
  static Raw cairnRaw(java.util.Map<String, String> env, String... args)
      throws IOException, InterruptedException {
    return runRaw(command(List.of(), args), env);
  }

  private static Raw runRaw(List<String> cmd, java.util.Map<String, String> env)
      throws IOException, InterruptedException {
    Path out = Files.createTempFile("cairn-it-out", ".txt");
    Path err = Files.createTempFile("cairn-it-err", ".txt");
    try {
      long t0 = System.nanoTime();
      ProcessBuilder pb =
          new ProcessBuilder(cmd)
              .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
              .redirectOutput(out.toFile())
              .redirectError(err.toFile());
      pb.environment().putAll(env);
      Process p = pb.start();
      if (!p.waitFor(TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly();
        fail(String.join(" ", cmd) + " did not finish within " + TIMEOUT.toSeconds() + " s");
      }
      long millis = (System.nanoTime() - t0) / 1_000_000;
      return new Raw(
          List.copyOf(cmd),
          p.exitValue(),
          Files.readAllBytes(out),
          Files.readString(err, StandardCharsets.UTF_8),
          millis);
    } finally {
      Files.deleteIfExists(out);
      Files.deleteIfExists(err);
    }
  }

  /**
   * A server test's teardown: kills the serving processes {@code servers} started, unmounts every
   * mount point still mounted, deletes {@code dir}, then fails naming any mount point that would
   * not go (after the rest was cleaned up, so one failure does not leave the next test a mess).
   */
  static void tearDownServers(
      java.util.Collection<Long> servers, java.util.List<Path> mounts, Path dir)
      throws IOException, InterruptedException {
    for (long pid : servers) {
      ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
    }
    java.util.List<String> left = new java.util.ArrayList<>();
    for (Path m : mounts) {
      try {
        cleanUp(m);
      } catch (AssertionError e) {
        left.add(e.getMessage());
      }
    }
    run("rm", "-rf", dir.toString());
    if (!left.isEmpty()) {
      org.junit.jupiter.api.Assertions.fail(String.join("; ", left));
    }
  }

  static Run run(String... cmd) throws IOException, InterruptedException {
    return run(Arrays.asList(cmd));
  }

  /** {@code cairn mount SNAP MNT}, asserting success and that the mount is there. */
  static Run mount(Path snap, Path mnt, String... extra) throws Exception {
    List<String> args = new ArrayList<>(List.of("mount", snap.toString(), mnt.toString()));
    args.addAll(Arrays.asList(extra));
    Run r = cairn(args.toArray(String[]::new)).ok();
    assertTrue(r.out().startsWith("mounted "), r.out());
    MountTable.Entry e =
        MountTable.find(mnt.toRealPath())
            .orElseThrow(
                () -> new AssertionError("cairn mount returned 0 but " + mnt + " is not mounted"));
    assertEquals(MountTable.CAIRN_FSTYPE, e.fsType());
    return r;
  }

  /** {@code cairn umount MNT}, asserting success, no mount and no serving process left. */
  static Run umount(Path mnt) throws Exception {
    Run r = cairn("umount", mnt.toString()).ok();
    assertTrue(MountTable.find(mnt).isEmpty(), mnt + " still mounted after cairn umount");
    assertEquals(List.of(), servers(mnt), "serving process still running after cairn umount");
    return r;
  }

  /** Running (not zombie) processes whose command line names {@code mnt}. */
  static List<Long> servers(Path mnt) {
    String m = mnt.toString();
    List<Long> pids = new ArrayList<>();
    ProcessHandle.allProcesses()
        .filter(h -> h.pid() != ProcessHandle.current().pid())
        .filter(
            h ->
                h.info()
                    .arguments()
                    .map(a -> Arrays.stream(a).anyMatch(x -> x.equals(m) || x.endsWith("=" + m)))
                    .orElse(false))
        .filter(h -> MountState.running(h.pid()))
        .forEach(h -> pids.add(h.pid()));
    return pids;
  }

  /** Waits until nothing is mounted at {@code mnt}; fails after {@code timeout}. */
  static void awaitUnmounted(Path mnt, Duration timeout) throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (MountTable.find(mnt).isPresent()) {
      if (System.nanoTime() > deadline) {
        fail(mnt + " still mounted after " + timeout.toSeconds() + " s");
      }
      Thread.sleep(20);
    }
  }

  /** Waits until no process serving {@code mnt} runs; fails after {@code timeout}. */
  static void awaitNoServers(Path mnt, Duration timeout) throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!servers(mnt).isEmpty()) {
      if (System.nanoTime() > deadline) {
        fail("processes still serving " + mnt + ": " + servers(mnt));
      }
      Thread.sleep(20);
    }
  }

  /**
   * Teardown for {@code @AfterEach}: unmounts loop mounts at {@code loopMounts}, detaches loop
   * devices backed by files under {@code mnt}, unmounts {@code mnt} (lazily) and kills whatever
   * still serves it. Every step is tried; then, if a loop mount, a loop device, the mount or a
   * serving process outlived all of it, the test fails: a leak must not pass unnoticed into the
   * next test.
   *
   * @throws AssertionError naming everything that is left
   */
  static void cleanUp(Path mnt, Path... loopMounts) {
    List<String> left = new ArrayList<>();
    for (Path l : loopMounts) {
      quietly("umount", l.toString());
      if (mounted(l)) {
        quietly("umount", "-l", l.toString());
      }
      if (mounted(l)) {
        left.add("loop mount " + l);
      }
    }
    if (mnt != null) {
      if (mounted(mnt)) {
        for (String device : loopDevicesUnder(mnt)) {
          quietly("losetup", "-d", device);
        }
        quietly("fusermount", "-u", "-z", mnt.toString());
      }
      for (long pid : servers(mnt)) {
        ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
      }
      try {
        awaitNoServers(mnt, Duration.ofSeconds(10));
      } catch (AssertionError | Exception e) {
        left.add(e.getMessage());
      }
      try {
        awaitUnmounted(mnt, Duration.ofSeconds(10));
      } catch (AssertionError | Exception e) {
        left.add(e.getMessage());
      }
      List<String> devices = loopDevicesUnder(mnt);
      if (!devices.isEmpty()) {
        left.add("loop devices backed by files under " + mnt + ": " + devices);
      }
    }
    if (!left.isEmpty()) {
      fail("teardown left behind: " + String.join("; ", left));
    }
  }

  private static boolean mounted(Path p) {
    try {
      return MountTable.find(p).isPresent();
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /** Loop devices whose backing file lies under {@code dir}. */
  private static List<String> loopDevicesUnder(Path dir) {
    List<String> devices = new ArrayList<>();
    for (String line : quietly("losetup", "-n", "-O", "NAME,BACK-FILE", "-l").split("\n")) {
      String[] f = line.strip().split("\\s+", 2);
      if (f.length == 2 && f[1].startsWith(dir + "/")) {
        devices.add(f[0]);
      }
    }
    return devices;
  }

  private static String quietly(String... cmd) {
    try {
      Run r = run(cmd);
      return r.out();
    } catch (Throwable t) {
      return "";
    }
  }

  /**
   * Asserts that the log of the mount at {@code mnt} (named in its stats.json) has a WARN line
   * containing every one of {@code fragments}.
   */
  static void assertWarned(Path mnt, String... fragments) throws IOException {
    String stats = Files.readString(mnt.resolve(".cairn/stats.json"));
    String logFile =
        new com.fasterxml.jackson.databind.ObjectMapper()
            .readTree(stats)
            .get("mount")
            .get("log_file")
            .asText();
    String log = Files.readString(Path.of(logFile));
    assertTrue(
        log.lines()
            .anyMatch(l -> l.contains(" WARN ") && Arrays.stream(fragments).allMatch(l::contains)),
        "a WARN line with " + Arrays.toString(fragments) + " in " + log);
  }

  static String sha256(Path file) throws IOException {
    try (InputStream in = Files.newInputStream(file)) {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      byte[] buf = new byte[1 << 16];
      int n;
      while ((n = in.read(buf)) > 0) {
        md.update(buf, 0, n);
      }
      return HexFormat.of().formatHex(md.digest());
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The repository root (the parent of the module directory tests run in). */
  static Path repoRoot() {
    Path module = Path.of(System.getProperty("basedir", ".")).toAbsolutePath().normalize();
    return module.getParent();
  }
}
