package dev.cairn.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Debian package as an operator gets it, on this machine: {@code scripts/package} builds it
 * from the jar this build made, {@code apt-get install} installs it, and then {@code man}, bash
 * completion, {@code mount -t fuse.cairn}, an {@code /etc/fstab} line mounted by {@code mount -a}
 * and the systemd unit template are checked; the package is purged at the end. Needs root, FUSE,
 * apt-get, man-db and systemd-analyze (scripts/test installs them): a missing one fails the test.
 */
class PackageIT {
  private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
  private static final Path FSTAB = Path.of("/etc/fstab");
  private static final String FSTAB_MARK = "x-cairn.packageit";
  private static final int SIZE = 5 * 1024 * 1024 + 123;

  @TempDir static Path dir;
  private static Path snapshot;
  private static byte[] data;
  private static String version;
  private final List<Path> mounted = new ArrayList<>();

  record Result(int exit, String out, String err) {
    Result ok(String what) {
      assertEquals(0, exit, what + " failed:\n" + err + out);
      return this;
    }
  }

  /** Runs a command with the class-data archives in the test's own cache directory. */
  private static Result run(List<String> command, Map<String, String> env)
      throws IOException, InterruptedException {
    Path out = Files.createTempFile(dir, "out", ".txt");
    Path err = Files.createTempFile(dir, "err", ".txt");
    ProcessBuilder pb =
        new ProcessBuilder(command)
            .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
            .redirectOutput(out.toFile())
            .redirectError(err.toFile());
    pb.environment().put("XDG_CACHE_HOME", dir.resolve("cache").toString());
    pb.environment().put("DEBIAN_FRONTEND", "noninteractive");
    pb.environment().remove("CAIRN_JAVA_OPTS");
    pb.environment().remove("CAIRN_JAR");
    pb.environment().putAll(env);
    Process p = pb.start();
    assertTrue(p.waitFor(300, TimeUnit.SECONDS), String.join(" ", command) + " finished");
    return new Result(p.exitValue(), Files.readString(out), Files.readString(err));
  }

  private static Result run(String... command) throws IOException, InterruptedException {
    return run(List.of(command), Map.of());
  }

  @BeforeAll
  static void buildAndInstall() throws Exception {
    assertEquals("root", System.getProperty("user.name"), "installing a package needs root");
    // the jar this build just made, as it is: no Maven run inside Maven
    Result pkg =
        run(List.of(ROOT.resolve("scripts/package").toString()), Map.of("CAIRN_NO_BUILD", "1"))
            .ok("scripts/package");
    String[] lines = pkg.out().strip().split("\n");
    Path deb = Path.of(lines[lines.length - 1]);
    String name = deb.getFileName().toString();
    assertTrue(name.matches("cairn_[0-9][0-9A-Za-z.~+]*_amd64\\.deb"), name);
    assertEquals(ROOT.resolve("target/package"), deb.getParent());
    version = name.substring("cairn_".length(), name.length() - "_amd64.deb".length());
    run("apt-get", "install", "-y", "--reinstall", deb.toString()).ok("apt-get install");
    assertEquals(
        "install ok installed " + version,
        run("dpkg-query", "-W", "-f", "${Status} ${Version}", "cairn").ok("dpkg-query").out());

    data = new byte[SIZE];
    new Random(14).nextBytes(data);
    Path input = Files.write(dir.resolve("disk.img"), data);
    snapshot = dir.resolve("disk.cairn");
    run("/usr/bin/cairn", "pack", input.toString(), "-o", snapshot.toString()).ok("cairn pack");
  }

  @AfterAll
  static void purge() throws Exception {
    run("apt-get", "purge", "-y", "cairn").ok("apt-get purge");
    for (String f :
        List.of("/usr/bin/cairn", "/usr/share/cairn", "/sbin/mount.fuse.cairn", "/etc/cairn")) {
      assertFalse(Files.exists(Path.of(f)), f + " left behind by the purge");
    }
  }

  /** Unmounts what a failed test left mounted, so that the temporary folder can go. */
  @AfterEach
  void unmountLeftovers() throws Exception {
    for (Path m : mounted) {
      if (isMounted(m)) {
        run("umount", "-l", m.toString());
      }
    }
  }

  private Path mountPoint(String name) throws IOException {
    Path m = Files.createDirectories(dir.resolve(name));
    mounted.add(m);
    return m;
  }

  /** {@code mount -t fuse.cairn SNAP DIR -o OPTIONS}: through mount(8) and the installed helper. */
  private static Result mountT(Path snap, Path m, String options)
      throws IOException, InterruptedException {
    return run("mount", "-t", "fuse.cairn", snap.toString(), m.toString(), "-o", options);
  }

  private static boolean isMounted(Path m) throws IOException, InterruptedException {
    return run("findmnt", "-rn", "-t", "fuse.cairn", "--mountpoint", m.toString()).exit() == 0;
  }

  private static void assertServes(Path m) throws IOException {
    assertArrayEquals(data, Files.readAllBytes(m.resolve("disk.img")), "bytes through " + m);
  }

  private static void cairnUmount(Path m) throws IOException, InterruptedException {
    run("/usr/bin/cairn", "umount", m.toString()).ok("cairn umount");
    assertFalse(isMounted(m));
  }

  @Test
  void installedCommandRunsTheInstalledJarAndCachesOutsideUsr() throws Exception {
    assertEquals(
        Path.of("/usr/share/cairn/launcher"), Path.of("/usr/bin/cairn").toRealPath(), "launcher");
    Result r = run("/usr/bin/cairn", "--version").ok("cairn --version");
    assertTrue(r.out().startsWith("cairn " + version.replace('~', '-') + " "), r.out());
    try (Stream<Path> s = Files.list(Path.of("/usr/share/cairn"))) {
      assertEquals(
          List.of("cairn-client.jar", "cairn.jar", "launcher"),
          s.map(p -> p.getFileName().toString()).sorted().toList(),
          "nothing written next to the installed jar");
    }
    try (Stream<Path> s = Files.list(dir.resolve("cache/cairn"))) {
      assertTrue(
          s.anyMatch(p -> p.getFileName().toString().matches("cli-[0-9a-f]{16}\\.jsa")),
          "the class-data archive is in the user's cache directory");
    }
    // mount, umount and mounts start from the slim client jar, with an archive of its own
    run("/usr/bin/cairn", "mounts").ok("cairn mounts");
    try (Stream<Path> s = Files.list(dir.resolve("cache/cairn"))) {
      assertTrue(
          s.anyMatch(p -> p.getFileName().toString().matches("client-[0-9a-f]{16}\\.jsa")),
          "the slim client's archive is in the user's cache directory");
    }
  }

  @Test
  void manPagesAreInstalledAndRender() throws Exception {
    assertEquals(
        "/usr/share/man/man1/cairn.1.gz\n", run("man", "-w", "cairn").ok("man -w cairn").out());
    assertEquals("/usr/share/man/man1/cairn-mount.1.gz\n", run("man", "-w", "cairn-mount").out());
    assertEquals(
        "/usr/share/man/man8/mount.fuse.cairn.8.gz\n", run("man", "-w", "mount.fuse.cairn").out());
    Result page =
        run(List.of("man", "-P", "cat", "cairn-mount"), Map.of("MANWIDTH", "100"))
            .ok("man cairn-mount");
    assertTrue(page.out().contains("--cache-size=SIZE"), page.out());
    assertTrue(page.out().contains("Cairn " + version.replace('~', '-')), page.out());
  }

  @Test
  void bashCompletesTheCommandsAndOptions() throws Exception {
    String script =
        """
        source /usr/share/bash-completion/completions/cairn
        fn=$(complete -p cairn | sed -E 's/.* -F ([^ ]+) .*/\\1/')
        words() {
          COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
          COMPREPLY=(); "$fn" cairn "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
          echo "${COMPREPLY[*]}"
        }
        words cairn mo
        words cairn mount --cache
        """;
    Result r = run("bash", "--norc", "--noprofile", "-c", script).ok("completion");
    assertEquals("mount mounts\n--cache-size\n", r.out(), r.err());
  }

  @Test
  void mountTypeFuseCairnServesTheSnapshot() throws Exception {
    Path m = mountPoint("m");
    mountT(snapshot, m, "ro,cache_size=64M").ok("mount -t fuse.cairn");
    assertTrue(isMounted(m));
    assertServes(m);
    cairnUmount(m);

    // mount(8)'s exit status for a mount that failed: a damaged snapshot
    Path truncated = dir.resolve("truncated.cairn");
    Files.write(truncated, Arrays.copyOf(Files.readAllBytes(snapshot), SIZE / 2));
    Result damaged = mountT(truncated, m, "ro");
    assertEquals(32, damaged.exit(), damaged.err());
    assertTrue(
        damaged.err().startsWith("cairn: " + truncated + ": corrupt snapshot"), damaged.err());

    Result unknown = mountT(snapshot, m, "ro,bogus");
    assertEquals(1, unknown.exit());
    assertEquals("mount.fuse.cairn: unknown option: bogus\n", unknown.err());
    Result contradiction = mountT(snapshot, m, "ro,overlay=" + dir.resolve("ov"));
    assertEquals(1, contradiction.exit());
    assertEquals(
        "mount.fuse.cairn: options ro and overlay= contradict each other\n", contradiction.err());
    assertFalse(isMounted(m));
  }

  @Test
  void overlayOptionMakesTheStreamWritable() throws Exception {
    Path m = mountPoint("w");
    Path overlay = dir.resolve("overlay");
    mountT(snapshot, m, "overlay=" + overlay + ",nosuid,nodev,x-systemd.automount")
        .ok("mount -o overlay=");
    byte[] patch = "written through the mount helper".getBytes(StandardCharsets.US_ASCII);
    try (RandomAccessFile f = new RandomAccessFile(m.resolve("disk.img").toFile(), "rw")) {
      f.seek(4096);
      f.write(patch);
      f.getFD().sync();
    }
    byte[] expected = data.clone();
    System.arraycopy(patch, 0, expected, 4096, patch.length);
    assertArrayEquals(expected, Files.readAllBytes(m.resolve("disk.img")));
    cairnUmount(m);
    assertTrue(Files.isDirectory(overlay), "the overlay directory holds the changes");
  }

  @Test
  void fstabLineIsMountedByMountAllAndByItsMountPoint() throws Exception {
    Path m = mountPoint("f");
    String original = Files.readString(FSTAB);
    String line =
        snapshot + " " + m + " fuse.cairn ro,cache_size=64M,nofail," + FSTAB_MARK + " 0 0\n";
    try {
      Files.writeString(FSTAB, original + (original.endsWith("\n") ? "" : "\n") + line);
      // only this line: -O picks fstab lines by an option, -t by type
      run("mount", "-a", "-t", "fuse.cairn", "-O", FSTAB_MARK).ok("mount -a");
      assertTrue(isMounted(m));
      assertServes(m);
      // mount(8) knows the line is mounted by its source: the mount's fsname is the snapshot path
      run("mount", "-a", "-t", "fuse.cairn", "-O", FSTAB_MARK).ok("a second mount -a");
      assertServes(m);
      cairnUmount(m);
      run("mount", m.toString()).ok("mount MOUNTPOINT");
      assertServes(m);
      cairnUmount(m);
    } finally {
      Files.writeString(FSTAB, original);
    }
  }

  /** The unit's ExecStart and ExecStop, run here as systemd would (it is not PID 1 here). */
  @Test
  void systemdUnitTemplateVerifiesAndItsCommandsServe() throws Exception {
    Path unit = Path.of("/lib/systemd/system/cairn-mount@.service");
    Result verify = run("systemd-analyze", "verify", unit.toString());
    assertEquals(0, verify.exit(), verify.err() + verify.out());
    assertEquals("", verify.err());

    Path m = mountPoint("u");
    ProcessBuilder unitStart =
        new ProcessBuilder(
                "/sbin/mount.fuse.cairn", snapshot.toString(), m.toString(), "-o", "ro,foreground")
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve("unit.log").toFile());
    unitStart.environment().put("XDG_CACHE_HOME", dir.resolve("cache").toString());
    Process serving = unitStart.start();
    try {
      for (int i = 0; i < 600 && !isMounted(m); i++) {
        assertTrue(serving.isAlive(), () -> "serving process exited: " + log("unit.log"));
        Thread.sleep(100);
      }
      assertTrue(isMounted(m), () -> "not mounted after 60 s: " + log("unit.log"));
      assertServes(m);
      cairnUmount(m);
      assertTrue(serving.waitFor(60, TimeUnit.SECONDS), "the foreground mount ends on umount");
      assertEquals(0, serving.exitValue(), log("unit.log"));
    } finally {
      serving.destroy();
    }
  }

  private static String log(String name) {
    try {
      return Files.readString(dir.resolve(name));
    } catch (IOException e) {
      return e.toString();
    }
  }
}
