package dev.cairn.fuse;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.cairn.mount.MountState;
import dev.cairn.mount.RuntimeDir;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The slim client: {@code scripts/launcher} runs {@code mount}, {@code umount} and {@code mounts}
 * from {@code cairn-client.jar} (built beside {@code cairn.jar}) with a class-data archive of its
 * own, never loading a class from the full jar; a refused mount says exactly what the full command
 * line says, with the same exit code, whether the client, the server or the full parser refuses it.
 */
class ClientJarIT {
  private static final Path LAUNCHER = MountSupport.repoRoot().resolve("scripts/launcher");

  private Path dir;
  private Path jar;
  private Path client;
  private final Map<String, String> env = new HashMap<>();
  private final List<Path> mounts = new ArrayList<>();
  private final Set<Long> servers = new HashSet<>();

  @BeforeAll
  static void fuse() {
    MountSupport.requireFuse();
  }

  @BeforeEach
  void setUp() throws Exception {
    dir = Files.createTempDirectory(Path.of("/var/tmp"), "cairn-client-it");
    // the pair as the package installs it: the client jar not older than the jar
    Path built = Path.of(System.getProperty("cairn.jar", "target/cairn.jar")).toAbsolutePath();
    Path builtClient = built.resolveSibling("cairn-client.jar");
    assertTrue(Files.isRegularFile(builtClient), builtClient + " missing: run mvn package first");
    jar = Files.copy(built, dir.resolve("cairn.jar"));
    client = Files.copy(builtClient, dir.resolve("cairn-client.jar"));
    Files.setLastModifiedTime(client, Files.getLastModifiedTime(jar));
    env.put("CAIRN_JAR", jar.toString());
    env.put("CAIRN_RUNTIME_DIR", dir.resolve("rt").toString());
    env.put("CAIRN_SERVER_IDLE", "30");
    env.put("XDG_CACHE_HOME", dir.resolve("cache").toString());
  }

  @AfterEach
  void tearDown() throws Exception {
    MountSupport.tearDownServers(servers, mounts, dir);
  }

  /** scripts/launcher ARGS with {@code env} and {@code more} added. */
  private MountSupport.Run launcher(Map<String, String> more, String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of(LAUNCHER.toString()));
    cmd.addAll(Arrays.asList(args));
    Path out = dir.resolve("out.txt");
    Path err = dir.resolve("err.txt");
    ProcessBuilder pb =
        new ProcessBuilder(cmd)
            .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
            .redirectOutput(out.toFile())
            .redirectError(err.toFile());
    pb.environment().remove("CAIRN_JAVA_OPTS");
    pb.environment().remove("CAIRN_CDS");
    pb.environment().remove("CAIRN_CLIENT");
    pb.environment().putAll(env);
    pb.environment().putAll(more);
    long t0 = System.nanoTime();
    Process p = pb.start();
    if (!p.waitFor(MountSupport.TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
      p.destroyForcibly();
      fail(String.join(" ", cmd) + " did not finish");
    }
    return new MountSupport.Run(
        cmd,
        p.exitValue(),
        Files.readString(out, StandardCharsets.UTF_8),
        Files.readString(err, StandardCharsets.UTF_8),
        (System.nanoTime() - t0) / 1_000_000);
  }

  /** The full command line: {@code java -jar cairn.jar ARGS} (the same jar), with {@code env}. */
  private MountSupport.Run full(String... args) throws Exception {
    List<String> cmd =
        new ArrayList<>(
            List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-XX:+UseSerialGC",
                "-jar",
                jar.toString()));
    cmd.addAll(Arrays.asList(args));
    Map<String, String> e = new HashMap<>(env);
    e.remove("CAIRN_JAR");
    return MountSupport.run(cmd, e);
  }

  /** The classes a launcher run loaded, by JVM log, with {@code jvmOptions} as its flags. */
  private List<String> loadedClasses(List<String> jvmOptions, String... args) throws Exception {
    Path log = dir.resolve("classes.log");
    Files.deleteIfExists(log);
    List<String> opts = new ArrayList<>(jvmOptions);
    opts.add("-Xlog:class+load=info:file=" + log);
    MountSupport.Run r =
        launcher(Map.of("CAIRN_JAVA_OPTS", String.join(" ", opts), "CAIRN_CDS", "0"), args).ok();
    assertEquals("", r.err(), r.toString());
    try (Stream<String> lines = Files.lines(log)) {
      return lines.toList();
    }
  }

  private static void assertSlim(List<String> classes, String what, Path client, Path jar) {
    String fromClient = "source: file:" + client;
    String fromJar = "source: file:" + jar;
    assertTrue(
        classes.stream()
            .anyMatch(
                l ->
                    l.contains("dev.cairn.cli.ClientMain " + fromClient)
                        || l.contains("dev.cairn.cli.ClientMain source: shared objects file")),
        what + ": ClientMain from the client jar or its archive");
    List<String> full = classes.stream().filter(l -> l.endsWith(fromJar)).toList();
    assertEquals(List.of(), full, what + ": classes loaded from the full jar");
    assertFalse(
        classes.stream().anyMatch(l -> l.contains("picocli.")), what + ": picocli was loaded");
  }

  private Path snapshot(String name, byte[] b) throws Exception {
    Path img = Files.write(dir.resolve(name + ".img"), b);
    Path snap = dir.resolve(name + ".cairn");
    full("pack", img.toString(), "-o", snap.toString()).ok();
    return snap;
  }

  private Path mountPoint(String name) throws IOException {
    Path m = Files.createDirectory(dir.resolve("mnt-" + name));
    mounts.add(m);
    return m;
  }

  @Test
  void plainCommandsRunFromTheClientJarAndItsArchive() throws Exception {
    byte[] data = new byte[(2 << 20) + 3];
    new Random(7).nextBytes(data);
    Path snap = snapshot("a", data);
    Path mnt = mountPoint("a");

    // the default flags: the client's own class-data archive is made, and the mount served
    MountSupport.Run first = launcher(Map.of(), "mount", snap.toString(), mnt.toString()).ok();
    assertTrue(first.out().startsWith("mounted " + snap + " at "), first.out());
    assertArrayEquals(data, Files.readAllBytes(mnt.resolve("a.img")));
    Path rt = dir.resolve("rt");
    servers.add(
        MountState.read(new RuntimeDir(rt).stateFile(mnt.toRealPath())).orElseThrow().pid());
    List<Path> archives;
    try (Stream<Path> s = Files.list(dir.resolve("cache/cairn"))) {
      archives =
          s.filter(p -> p.getFileName().toString().matches("client-[0-9a-f]{16}\\.jsa")).toList();
    }
    assertEquals(1, archives.size(), "one client archive: " + archives);

    // with that archive mapped (-Xshare:on fails if it cannot be), nothing comes from cairn.jar
    List<String> withArchive =
        List.of(
            "-XX:+UseSerialGC",
            "-XX:TieredStopAtLevel=1",
            "-Xshare:on",
            "-XX:SharedArchiveFile=" + archives.get(0));
    List<String> listed = loadedClasses(withArchive, "mounts");
    assertSlim(listed, "mounts", client, jar);
    assertTrue(
        listed.stream()
            .anyMatch(l -> l.contains("dev.cairn.mount.MountList source: shared objects file")),
        "the client's classes come from its archive");

    // without an archive every class names its jar: the client jar only
    List<String> plain = List.of("-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1");
    assertSlim(loadedClasses(plain, "umount", mnt.toString()), "umount", client, jar);
    assertTrue(MountTable.find(mnt).isEmpty());
    // the form mount.fuse.cairn (mount -t fuse.cairn, fstab) passes: options, then -- SNAP DIR
    assertSlim(
        loadedClasses(plain, "mount", "--cache-size", "64M", "--", snap.toString(), mnt.toString()),
        "mount",
        client,
        jar);
    assertArrayEquals(data, Files.readAllBytes(mnt.resolve("a.img")));
    // the full command line reaches the same server (its address does not depend on the client)
    String table = full("mounts").ok().out();
    assertTrue(table.contains(mnt.toRealPath() + "  " + snap), table);
    launcher(Map.of(), "umount", mnt.toString()).ok();
    assertTrue(MountTable.find(mnt).isEmpty());

    // a client jar older than the jar is another build's: the full jar runs the command
    Files.setLastModifiedTime(
        client,
        java.nio.file.attribute.FileTime.fromMillis(
            Files.getLastModifiedTime(jar).toMillis() - 60_000));
    List<String> stale = loadedClasses(plain, "mounts");
    assertTrue(
        stale.stream().anyMatch(l -> l.contains("dev.cairn.cli.Main source: file:" + jar)),
        "a stale client jar is not used");
  }

  @Test
  void refusedMountsSayWhatTheFullCommandLineSays() throws Exception {
    byte[] data = new byte[1 << 20];
    new Random(8).nextBytes(data);
    Path snap = snapshot("b", data);
    Path mnt = mountPoint("b");
    Path busy = mountPoint("busy");
    Files.writeString(busy.resolve("x"), "x");
    // a Cairn header's first bytes and nothing else: the client's check passes, the server refuses
    Path broken = dir.resolve("broken.cairn");
    byte[] head = Arrays.copyOf(Files.readAllBytes(snap), 64);
    Files.write(broken, head);
    Path notSnap = Files.writeString(dir.resolve("notes.txt"), "not a snapshot\n");
    // the client's archive made first: its one line about that is not the command's output
    launcher(Map.of(), "mounts").ok();

    List<List<String>> cases =
        List.of(
            List.of("mount", snap.toString(), busy.toString()),
            List.of("mount", "--cache-size", "64M", "--", snap.toString(), busy.toString()),
            List.of("mount", dir.resolve("none.cairn").toString(), mnt.toString()),
            List.of("mount", notSnap.toString(), mnt.toString()),
            List.of("mount", snap.toString(), dir.resolve("no-dir").toString()),
            List.of("mount", broken.toString(), mnt.toString()),
            List.of("mount", snap.toString(), mnt.toString(), "--cache-size", "10x"),
            List.of("mount", snap.toString(), mnt.toString(), "--cache-size", "100T"),
            List.of("mount", snap.toString(), mnt.toString(), "--mode", "999"),
            List.of("mount", snap.toString()),
            List.of("umount", mnt.toString()));
    for (List<String> c : cases) {
      String[] args = c.toArray(String[]::new);
      MountSupport.Run slim = launcher(Map.of(), args);
      MountSupport.Run whole = full(args);
      String what = String.join(" ", c);
      assertTrue(slim.exit() != 0, what + " refused: " + slim);
      assertEquals(whole.exit(), slim.exit(), what + ": exit code\n" + slim.err());
      assertEquals(whole.err(), slim.err(), what + ": stderr");
      assertEquals(whole.out(), slim.out(), what + ": stdout");
      assertTrue(MountTable.find(mnt).isEmpty(), what + ": nothing mounted");
    }

    // mounted once, a second mount there is refused alike
    launcher(Map.of(), "mount", snap.toString(), mnt.toString()).ok();
    servers.add(
        MountState.read(new RuntimeDir(dir.resolve("rt")).stateFile(mnt.toRealPath()))
            .orElseThrow()
            .pid());
    MountSupport.Run slim = launcher(Map.of(), "mount", snap.toString(), mnt.toString());
    MountSupport.Run whole = full("mount", snap.toString(), mnt.toString());
    assertEquals(2, slim.exit(), slim.err());
    assertEquals(whole.exit(), slim.exit());
    assertEquals(whole.err(), slim.err());
    assertTrue(slim.err().contains("a cairn snapshot is already mounted there"), slim.err());
    launcher(Map.of(), "umount", mnt.toString()).ok();
  }
}
