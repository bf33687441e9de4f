package dev.cairn.fuse;

import static dev.cairn.fuse.MountSupport.run;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cairn.mount.MountState;
import dev.cairn.mount.RuntimeDir;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The per-user serving process: several mounts in one process, each isolated from the others
 * (umount, a damaged snapshot, {@code kill -9} of the server with an overlay being written), the
 * start race, idle exit, and another user's separate server that cannot use root's. Every test has
 * a runtime directory of its own, so a server of its own.
 */
class ServerIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final long NOBODY = 65534;

  private Path dir;
  private Path rt;
  private final Map<String, String> env = new HashMap<>();
  private final List<Path> mounts = new ArrayList<>();
  private final Set<Long> servers = new HashSet<>();
  private final Map<String, byte[]> data = new HashMap<>();

  @BeforeAll
  static void fuse() {
    MountSupport.requireFuse();
  }

  @BeforeEach
  void setUp() throws Exception {
    // open to everyone on the way down: the other-user test reads through it
    dir = Files.createTempDirectory(Path.of("/var/tmp"), "cairn-server-it");
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
    rt = dir.resolve("rt");
    env.put("CAIRN_RUNTIME_DIR", rt.toString());
    env.put("CAIRN_SERVER_IDLE", "30");
  }

  @AfterEach
  void tearDown() throws Exception {
    MountSupport.tearDownServers(servers, mounts, dir);
  }

  private MountSupport.Run cairn(String... args) throws Exception {
    return MountSupport.cairn(env, args);
  }

  /** A snapshot of {@code size} random bytes named NAME.img inside NAME.cairn. */
  private Path snapshot(String name, int size) throws Exception {
    byte[] b = new byte[size];
    new Random(name.hashCode()).nextBytes(b);
    Path img = Files.write(dir.resolve(name + ".img"), b);
    Path snap = dir.resolve(name + ".cairn");
    cairn("pack", img.toString(), "-o", snap.toString()).ok();
    data.put(name, b);
    return snap;
  }

  private Path mountPoint(String name) throws Exception {
    Path m = Files.createDirectory(dir.resolve("mnt-" + name));
    mounts.add(m);
    return m;
  }

  private MountState state(Path mnt) throws Exception {
    return MountState.read(new RuntimeDir(rt).stateFile(mnt.toRealPath()))
        .orElseThrow(() -> new AssertionError("no state file for " + mnt));
  }

  private long mount(Path snap, Path mnt, String... extra) throws Exception {
    List<String> a = new ArrayList<>(List.of("mount", snap.toString(), mnt.toString()));
    a.addAll(Arrays.asList(extra));
    MountSupport.Run r = cairn(a.toArray(String[]::new)).ok();
    assertTrue(r.out().startsWith("mounted " + snap + " at "), r.out());
    long pid = state(mnt).pid();
    servers.add(pid);
    return pid;
  }

  private void assertServes(Path mnt, String name) throws Exception {
    assertArrayEquals(data.get(name), Files.readAllBytes(mnt.resolve(name + ".img")), name);
  }

  private JsonNode listed() throws Exception {
    MountSupport.Run r = cairn("mounts", "--json").ok();
    return JSON.readTree(r.out()).get("mounts");
  }

  @Test
  void oneProcessServesSeveralMountsAndUmountOfOneLeavesTheOthers() throws Exception {
    Path a = snapshot("a", (3 << 20) + 5);
    Path b = snapshot("b", (2 << 20) + 7);
    Path c = snapshot("c", 1 << 20);
    Path ma = mountPoint("a");
    Path mb = mountPoint("b");
    Path mc = mountPoint("c");
    long pid = mount(a, ma);
    assertEquals(pid, mount(b, mb, "--cache-size", "64M"));
    assertEquals(pid, mount(c, mc));
    assertServes(ma, "a");
    assertServes(mb, "b");
    assertServes(mc, "c");

    JsonNode list = listed();
    assertEquals(3, list.size(), list.toString());
    for (JsonNode m : list) {
      assertEquals(pid, m.get("pid").asLong(), m.toString());
      assertTrue(m.get("shared").asBoolean());
      assertTrue(m.get("overlay").isNull());
      assertTrue(m.get("cache_used").asLong() >= 0, m.toString());
    }
    assertEquals(mb.toRealPath().toString(), list.get(1).get("mount_point").asText());
    assertEquals(b.toString(), list.get(1).get("snapshot").asText());
    // one budget, the first mount's --cache-size (256M), shared in proportion to what each asked
    // for (256M + 64M + 256M): nobody above its own --cache-size, all together within the budget
    long budget = 256L << 20;
    long asked = (256L + 64 + 256) << 20;
    assertEquals(
        (long) ((double) (64L << 20) * budget / asked), list.get(1).get("cache_size").asLong());
    long sum = 0;
    for (JsonNode m : list) {
      sum += m.get("cache_size").asLong();
    }
    assertTrue(sum <= budget && sum > budget - 8, sum + " of " + budget);
    String table = cairn("mounts").ok().out();
    assertTrue(table.startsWith("MOUNTPOINT"), table);
    assertTrue(table.contains(ma.toRealPath() + "  " + a), table);

    // stats.json per mount, each naming its own mount and the one process
    JsonNode st = JSON.readTree(Files.readAllBytes(mb.resolve(".cairn/stats.json")));
    assertEquals(mb.toRealPath().toString(), st.get("mount").get("mount_point").asText());
    assertEquals(pid, st.get("mount").get("pid").asLong());
    String log = Files.readString(Path.of(st.get("mount").get("log_file").asText()));
    assertTrue(log.contains("mounted " + b), log);
    assertFalse(log.contains(a.toString()), "each mount logs to its own file: " + log);

    MountSupport.Run u = cairn("umount", mb.toString()).ok();
    assertEquals("unmounted " + mb.toRealPath() + "\n", u.out());
    assertTrue(MountTable.find(mb).isEmpty());
    assertFalse(Files.exists(new RuntimeDir(rt).stateFile(mb.toRealPath())), "state file gone");
    assertEquals(List.of(), MountSupport.servers(mb), "no watchdog left for the unmounted one");
    assertServes(ma, "a");
    assertServes(mc, "c");
    assertTrue(ProcessHandle.of(pid).isPresent(), "server stays for the others");
    JsonNode two = listed();
    assertEquals(2, two.size());
    for (JsonNode m : two) {
      assertEquals(128L << 20, m.get("cache_size").asLong(), "the budget re-divided: " + m);
    }
    assertEquals(pid, mount(b, mb), "mounted again in the same process");
    assertServes(mb, "b");
    for (Path m : List.of(ma, mb, mc)) {
      cairn("umount", m.toString()).ok();
      assertTrue(MountTable.find(m).isEmpty());
    }
    assertEquals(0, listed().size());
  }

  @Test
  void aDamagedSnapshotFailsAsAlwaysAndDisturbsNoOtherMount() throws Exception {
    Path a = snapshot("a", 3 << 20);
    Path ma = mountPoint("a");
    long pid = mount(a, ma);
    // the header is fine, so the client's cheap check passes; the index behind it is not
    Path bad = snapshot("bad", 2 << 20);
    byte[] f = Files.readAllBytes(bad);
    ByteBuffer bb = ByteBuffer.wrap(f).order(ByteOrder.LITTLE_ENDIAN);
    for (int i = f.length - 200; i < f.length; i++) {
      bb.put(i, (byte) ~bb.get(i));
    }
    Files.write(bad, f);
    MountSupport.Run legacy =
        MountSupport.cairn(
            Map.of("CAIRN_RUNTIME_DIR", rt.toString(), "CAIRN_SERVER", "0"),
            "mount",
            bad.toString(),
            mountPoint("legacy").toString());
    Path mb = mountPoint("bad");
    MountSupport.Run r = cairn("mount", bad.toString(), mb.toString());
    assertNotEquals(0, r.exit(), r.toString());
    assertEquals(legacy.exit(), r.exit(), "the exit code a process of its own gives: " + legacy);
    assertEquals(1, r.err().strip().lines().count(), r.err());
    String why = legacy.err().strip().replaceAll(" \\(log: .*\\)$", "");
    assertTrue(
        r.err().startsWith(why),
        "same message as a process of its own:\n" + legacy.err() + r.err());
    assertTrue(MountTable.find(mb).isEmpty(), "nothing mounted");
    assertServes(ma, "a");
    assertEquals(pid, state(ma).pid());
    assertEquals(1, listed().size());
    cairn("umount", ma.toString()).ok();
  }

  @Test
  void killDashNineOfTheServerLeavesNoDeadMountAndKeepsFsyncedOverlayData() throws Exception {
    // ten mounts, three of them overlays being written when the server dies
    Path a = snapshot("a", 3 << 20);
    Path b = snapshot("b", 2 << 20);
    Path base = snapshot("base", 4 << 20);
    List<Path> all = new ArrayList<>();
    long pid = 0;
    for (int i = 0; i < 7; i++) {
      Path m = mountPoint("ro" + i);
      long p = mount(i % 2 == 0 ? a : b, m);
      assertTrue(pid == 0 || p == pid, "one server");
      pid = p;
      all.add(m);
    }
    List<Path> overlays = new ArrayList<>();
    List<Path> works = new ArrayList<>();
    List<byte[]> durable = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      Path m = mountPoint("o" + i);
      Path work = dir.resolve("work" + i);
      assertEquals(pid, mount(base, m, "--overlay", work.toString()));
      byte[] d = new byte[1 << 20];
      new Random(9 + i).nextBytes(d);
      try (RandomAccessFile out = new RandomAccessFile(m.resolve("base.img").toFile(), "rw")) {
        out.seek(4096 + i * 8192L);
        out.write(d);
        out.getFD().sync();
      }
      overlays.add(m);
      works.add(work);
      durable.add(d);
      all.add(m);
    }
    assertEquals(10, listed().size());
    // writes still in flight (never fsynced) at the moment of the kill
    java.util.concurrent.atomic.AtomicBoolean stop =
        new java.util.concurrent.atomic.AtomicBoolean();
    List<Thread> writers = new ArrayList<>();
    for (Path m : overlays) {
      Thread w =
          new Thread(
              () -> {
                byte[] chunk = new byte[64 << 10];
                try (RandomAccessFile out =
                    new RandomAccessFile(m.resolve("base.img").toFile(), "rw")) {
                  while (!stop.get()) {
                    out.seek(3L << 20);
                    out.write(chunk);
                  }
                } catch (java.io.IOException expected) {
                  // the mount goes away under it
                }
              });
      w.setDaemon(true);
      w.start();
      writers.add(w);
    }
    Thread.sleep(300);
    run("kill", "-9", Long.toString(pid)).ok();
    for (Path m : all) {
      MountSupport.awaitUnmounted(m, Duration.ofSeconds(15));
      assertTrue(Files.isDirectory(m), m + " is a plain directory again, not a dead mount");
      MountSupport.awaitNoServers(m, Duration.ofSeconds(15));
    }
    stop.set(true);
    for (Thread w : writers) {
      w.join(10_000);
    }
    assertEquals(0, listed().size());

    long next = 0;
    for (int i = 0; i < 3; i++) {
      Path m = overlays.get(i);
      next = mount(base, m, "--overlay", works.get(i).toString());
      assertNotEquals(pid, next, "a fresh server");
      byte[] now = Files.readAllBytes(m.resolve("base.img"));
      byte[] got = Arrays.copyOfRange(now, 4096 + i * 8192, 4096 + i * 8192 + (1 << 20));
      assertArrayEquals(durable.get(i), got, "fsynced overlay data intact after remounting");
    }
    assertEquals(next, mount(a, all.get(0)));
    assertServes(all.get(0), "a");
    for (Path m : overlays) {
      cairn("umount", m.toString()).ok();
    }
    cairn("umount", all.get(0).toString()).ok();
  }

  @Test
  void twoMountsStartingAtOnceShareOneNewServer() throws Exception {
    Path a = snapshot("a", 1 << 20);
    Path b = snapshot("b", 1 << 20);
    Path ma = mountPoint("a");
    Path mb = mountPoint("b");
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try {
      Callable<MountSupport.Run> one = () -> cairn("mount", a.toString(), ma.toString());
      Callable<MountSupport.Run> two = () -> cairn("mount", b.toString(), mb.toString());
      Future<MountSupport.Run> f1 = pool.submit(one);
      Future<MountSupport.Run> f2 = pool.submit(two);
      f1.get().ok();
      f2.get().ok();
    } finally {
      pool.shutdown();
    }
    long pid = state(ma).pid();
    servers.add(pid);
    assertEquals(pid, state(mb).pid(), "one server for both");
    try (var s = Files.newDirectoryStream(rt, "server-*.sock")) {
      int n = 0;
      for (Path p : s) {
        n++;
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(p)));
      }
      assertEquals(1, n);
    }
    assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(rt)));
    assertServes(ma, "a");
    assertServes(mb, "b");
    cairn("umount", ma.toString()).ok();
    cairn("umount", mb.toString()).ok();
  }

  @Test
  void theServerLeavesWhenIdle() throws Exception {
    env.put("CAIRN_SERVER_IDLE", "1");
    Path a = snapshot("a", 1 << 20);
    Path ma = mountPoint("a");
    long pid = mount(a, ma);
    Thread.sleep(2500);
    assertTrue(MountState.running(pid), "a mount keeps it");
    cairn("umount", ma.toString()).ok();
    assertTrue(MountState.awaitGone(pid, 15_000), "gone after its last mount");
    try (var s = Files.newDirectoryStream(rt, "server-*.sock")) {
      assertFalse(s.iterator().hasNext(), "socket removed");
    }
    assertNotEquals(pid, mount(a, ma), "the next mount starts a new one");
    cairn("umount", ma.toString()).ok();
  }

  @Test
  void anotherUserGetsAServerOfItsOwnAndCannotUseRoots() throws Exception {
    Path a = snapshot("a", 1 << 20);
    Path ma = mountPoint("a");
    long rootPid = mount(a, ma);
    Files.setPosixFilePermissions(a, PosixFilePermissions.fromString("rw-r--r--"));
    Path home = Files.createDirectory(dir.resolve("nobody"));
    run("chown", NOBODY + ":" + NOBODY, home.toString()).ok();
    Path mn = Files.createDirectory(home.resolve("mnt"));
    run("chown", NOBODY + ":" + NOBODY, mn.toString()).ok();
    mounts.add(mn);
    Path nobodyRt = home.resolve("rt");
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    String jar = MountSupport.jar().toString();

    // root's runtime directory is closed to nobody: not even the socket's name
    MountSupport.Run peek =
        asNobody("env", "CAIRN_RUNTIME_DIR=" + rt, java, "-jar", jar, "mounts", "--json");
    assertEquals(0, peek.exit(), peek.toString());
    assertEquals("{\"mounts\":[]}", peek.out().strip());

    // opened up on purpose, the server itself refuses nobody (SO_PEERCRED)
    Path sock;
    try (var s = Files.newDirectoryStream(rt, "server-*.sock")) {
      sock = s.iterator().next();
    }
    Files.setPosixFilePermissions(rt, PosixFilePermissions.fromString("rwxr-xr-x"));
    Files.setPosixFilePermissions(sock, PosixFilePermissions.fromString("rw-rw-rw-"));
    MountSupport.Run refused;
    try {
      refused = asNobody("env", "CAIRN_RUNTIME_DIR=" + rt, java, "-jar", jar, "mounts", "--json");
    } finally {
      Files.setPosixFilePermissions(rt, PosixFilePermissions.fromString("rwx------"));
      Files.setPosixFilePermissions(sock, PosixFilePermissions.fromString("rw-------"));
    }
    assertEquals("{\"mounts\":[]}", refused.out().strip(), refused.toString());
    assertTrue(refused.err().contains("serves only user root"), refused.toString());
    Path serverLog = Path.of(sock.toString().replace(".sock", ".log"));
    assertTrue(Files.readString(serverLog).contains("refused a connection from user nobody"));

    // nobody's own mount: its own server, under its own runtime directory, running as nobody
    Path fuse = Path.of("/dev/fuse");
    String fuseMode = PosixFilePermissions.toString(Files.getPosixFilePermissions(fuse));
    Files.setPosixFilePermissions(fuse, PosixFilePermissions.fromString("rw-rw-rw-"));
    try {
      MountSupport.Run m =
          asNobody(
              "env",
              "CAIRN_RUNTIME_DIR=" + nobodyRt,
              "HOME=" + home,
              java,
              "-jar",
              jar,
              "mount",
              a.toString(),
              mn.toString());
      assertEquals(0, m.exit(), m.toString());
    } finally {
      Files.setPosixFilePermissions(fuse, PosixFilePermissions.fromString(fuseMode));
    }
    MountState st =
        MountState.read(new RuntimeDir(nobodyRt).stateFile(mn.toRealPath())).orElseThrow();
    servers.add(st.pid());
    assertNotEquals(rootPid, st.pid());
    assertEquals(
        NOBODY,
        ((Number) Files.getAttribute(Path.of("/proc", Long.toString(st.pid())), "unix:uid"))
            .longValue(),
        "nobody's server runs as nobody");
    assertEquals(
        0, asNobody("cmp", dir.resolve("a.img").toString(), mn.resolve("a.img").toString()).exit());
    MountSupport.Run u =
        asNobody(
            "env",
            "CAIRN_RUNTIME_DIR=" + nobodyRt,
            "HOME=" + home,
            java,
            "-jar",
            jar,
            "umount",
            mn.toString());
    assertEquals(0, u.exit(), u.toString());
    assertEquals(1, listed().size(), "root's server has only root's mount");
    cairn("umount", ma.toString()).ok();
  }

  private static MountSupport.Run asNobody(String... cmd) throws Exception {
    List<String> c =
        new ArrayList<>(
            List.of("setpriv", "--reuid=" + NOBODY, "--regid=" + NOBODY, "--clear-groups"));
    c.addAll(List.of(cmd));
    return run(c);
  }
}
