package dev.cairn.mount;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cairn.crypto.Aead;
import dev.cairn.crypto.KeyRing;
import dev.cairn.crypto.KeySource;
import dev.cairn.sign.Trust;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ServeLauncherTest {
  @TempDir Path tmp;

  private ServeLauncher.Spec spec(Path cds, boolean debug) {
    return spec(cds, debug, KeyRing.NONE);
  }

  private ServeLauncher.Spec spec(Path cds, boolean debug, KeyRing keys) {
    return new ServeLauncher.Spec(
        "/usr/bin/java",
        "/opt/cairn.jar",
        cds,
        512L << 20,
        debug,
        "/s/base.cairn",
        Path.of("/mnt/s"),
        Path.of("/run/x.ready"),
        Path.of("/run/x.log"),
        "/usr/bin/setsid",
        null,
        List.of(Path.of("/a/parents"), Path.of("/b/more parents")),
        new AccessOptions(64055L, null, 0644),
        !keys.isEmpty(),
        keys,
        Trust.NONE,
        new ProfileOptions(Path.of("/p/boot.profile"), "none", true));
  }

  @Test
  void commandRunsServeMainDetached() {
    List<String> c = ServeLauncher.command(spec(null, false));
    assertEquals("/usr/bin/setsid", c.get(0));
    assertEquals("/usr/bin/java", c.get(1));
    int cp = c.indexOf("-cp");
    assertEquals("/opt/cairn.jar", c.get(cp + 1));
    assertEquals(ServeMain.class.getName(), c.get(cp + 2));
    assertTrue(c.contains("--snapshot=/s/base.cairn"));
    assertTrue(c.contains("--parent-search-0=/a/parents"), c.toString());
    assertTrue(c.contains("--parent-search-1=/b/more parents"), c.toString());
    assertTrue(c.contains("--mount-point=/mnt/s"));
    assertTrue(c.contains("--cache-size=" + (512L << 20)));
    assertTrue(c.contains("--ready-file=/run/x.ready"));
    assertTrue(c.contains("--log-file=/run/x.log"));
    assertFalse(c.contains("--debug"));
    assertTrue(c.contains("--uid=64055"), c.toString());
    assertTrue(c.contains("--mode=0644"), c.toString());
    assertFalse(c.stream().anyMatch(a -> a.startsWith("--gid")), c.toString());
    assertTrue(ServeLauncher.command(spec(null, true)).contains("--debug"));
    assertFalse(c.contains("--keys-on-stdin"));
    assertTrue(c.contains("--record-profile=/p/boot.profile"), c.toString());
    assertTrue(c.contains("--profile=none"), c.toString());
    assertTrue(c.contains("--fetch-all"), c.toString());
    assertEquals(
        new ProfileOptions(Path.of("/p/boot.profile"), "none", true),
        ProfileOptions.fromServeArgs(
            ServeMain.parse(c.subList(c.indexOf(ServeMain.class.getName()) + 1, c.size()))));
  }

  @Test
  void keysAreAnnouncedByAFlagAndNeverOnTheCommandLine() {
    byte[] key = new byte[32];
    Arrays.fill(key, (byte) 0xab);
    KeyRing keys =
        KeyRing.of(
            List.of(
                new KeySource.KeyFile("key file /k/a.key", key),
                new KeySource.Passphrase(
                    "passphrase from $P", "correct horse".getBytes(StandardCharsets.UTF_8))));
    List<String> c = ServeLauncher.command(spec(null, false, keys));
    assertTrue(c.contains("--keys-on-stdin"), c.toString());
    String all = String.join(" ", c);
    assertFalse(all.contains("abab"), all);
    assertFalse(all.contains("correct horse"), all);
    assertFalse(all.contains("a.key"), "not even the key file's name: " + all);
    // libcrypto decrypts at full speed under C1: the serving JVM keeps its tier-1 set-up, which
    // only the JDK's AES-GCM (no libcrypto) would need lifted
    assertTrue(Aead.nativeAvailable(), "libcrypto is installed where the tests run");
    assertTrue(c.contains("-XX:TieredStopAtLevel=1"), "C1 with libcrypto: " + c);
    assertTrue(ServeLauncher.command(spec(null, false)).contains("-XX:TieredStopAtLevel=1"));
    String saved = System.getProperty("cairn.crypto");
    System.setProperty("cairn.crypto", "jdk");
    try {
      assertFalse(
          ServeLauncher.command(spec(null, false, keys)).contains("-XX:TieredStopAtLevel=1"),
          "C2 for the JDK's AES-GCM");
    } finally {
      if (saved == null) {
        System.clearProperty("cairn.crypto");
      } else {
        System.setProperty("cairn.crypto", saved);
      }
    }
  }

  @Test
  void keysReachTheDetachedProcessThroughItsStdin() throws Exception {
    Path out = tmp.resolve("out.txt");
    KeyRing keys =
        KeyRing.of(
            List.of(
                new KeySource.Passphrase(
                    "passphrase from $P", "stapler battery".getBytes(StandardCharsets.UTF_8))));
    long pid =
        DetachedProcess.start(
            List.of("/bin/sh", "-c", "od -An -c | tr -d ' \\n'; echo"), out, keys, true);
    try {
      for (int i = 0; i < 500 && !Files.readString(out).endsWith("\n"); i++) {
        Thread.sleep(10);
      }
      assertTrue(
          Files.readString(out).contains("staplerbattery"),
          "the ring arrived on stdin: " + Files.readString(out));
    } finally {
      ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
    }
  }

  @Test
  void smallCacheKeepsTheInitialHeapWithinTheMaximum() {
    List<String> o = JvmOptions.of(1L << 20, null, false, false);
    assertTrue(o.contains("-Xmx81m"), o.toString());
    assertTrue(o.contains("-Xms81m"), o.toString());
  }

  @Test
  void jvmSizedFromTheCache() {
    List<String> o = JvmOptions.of(512L << 20, null, false, false);
    assertTrue(o.contains("-XX:MaxDirectMemorySize=64m"), o.toString());
    assertTrue(o.contains("-XX:TieredStopAtLevel=1"), o.toString());
    assertTrue(o.contains("-Xmx592m"), o.toString());
    assertFalse(o.contains("-Xshare:auto"));
    assertTrue(o.stream().noneMatch(s -> s.startsWith("-XX:SharedArchiveFile")));
    List<String> withCds = JvmOptions.of(256L << 20, Path.of("/c/a.jsa"), true, false);
    assertTrue(withCds.contains("-XX:SharedArchiveFile=/c/a.jsa"));
    assertTrue(withCds.contains("-Xshare:auto"));
    assertTrue(withCds.contains("-Xlog:cds=off"));
    assertTrue(withCds.contains("-Dorg.slf4j.simpleLogger.log.dev.cairn=debug"));
  }

  @Test
  void classPathMadeAbsoluteAndCrashesRecognised() throws Exception {
    String cp = ClassPath.forChild("target/cairn.jar:/opt/x.jar");
    assertEquals(Path.of("target/cairn.jar").toAbsolutePath() + ":/opt/x.jar", cp);
    // the slim client's jar is never a child's: it starts on the full jar alone
    assertEquals("/opt/cairn.jar", ClassPath.forChild("/opt/cairn-client.jar:/opt/cairn.jar"));
    assertEquals("/opt/x-client.jar", ClassPath.forChild("/opt/x-client.jar"));
    Path log =
        Files.writeString(
            tmp.resolve("crash.log"),
            "#\n# A fatal error has been detected by the Java Runtime Environment:\n#\n");
    assertTrue(ReadyHandshake.crashed(log));
    Files.writeString(log, "cairn: x: no such file\n");
    assertFalse(ReadyHandshake.crashed(log));
  }

  @Test
  void errorStatusCarriesTheExitCode() {
    assertEquals(2, ReadyHandshake.parseErrorCode("error 2"));
    assertEquals(1, ReadyHandshake.parseErrorCode("error 1\n"));
    assertEquals(1, ReadyHandshake.parseErrorCode("error x"));
    assertEquals(1, ReadyHandshake.parseErrorCode("garbage"));
  }

  @Test
  void startDetachedReturnsAtOnceWithThePid() throws Exception {
    Path out = tmp.resolve("out.txt");
    long t0 = System.nanoTime();
    long pid =
        DetachedProcess.start(
            List.of("/bin/sh", "-c", "pwd; echo err >&2; read x || echo eof; sleep 30"), out);
    assertTrue(System.nanoTime() - t0 < 10_000_000_000L);
    try {
      ProcessHandle h = ProcessHandle.of(pid).orElseThrow();
      assertTrue(h.isAlive());
      assertFalse(
          ProcessHandle.current().children().anyMatch(c -> c.pid() == pid), "not our child");
      // the detached shell creates the file itself, possibly after startDetached returned
      for (int i = 0;
          i < 500 && (!Files.exists(out) || Files.readString(out).split("\n").length < 3);
          i++) {
        Thread.sleep(10);
      }
      assertEquals("/\nerr\neof\n", Files.readString(out), "cwd /, stderr too, stdin /dev/null");
    } finally {
      ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
    }
  }

  @Test
  void childErrorPrefersItsOwnCairnLine() throws Exception {
    Path log = tmp.resolve("l.log");
    Files.writeString(
        log, "2026 INFO x - starting\ncairn: /s/x.cairn: not a Cairn snapshot (no magic)\n\n");
    assertEquals(
        Optional.of("/s/x.cairn: not a Cairn snapshot (no magic)"), ReadyHandshake.childError(log));
    Files.writeString(
        log,
        "fusermount: option allow_other only allowed if 'user_allow_other' is set\n"
            + "cairn: could not mount at /m: libfuse returned 1 (see the log)\n");
    assertEquals(
        Optional.of(
            "could not mount at /m: libfuse returned 1 (see the log) (fusermount: option"
                + " allow_other only allowed if 'user_allow_other' is set)"),
        ReadyHandshake.childError(log));
    Files.writeString(log, "Killed\n");
    assertEquals(Optional.of("Killed"), ReadyHandshake.childError(log));
    assertEquals(Optional.empty(), ReadyHandshake.childError(tmp.resolve("none")));
  }

  @Test
  void cdsOnlyForASingleJar() throws Exception {
    assertTrue(Cds.forClassPath("/a/classes:/b.jar", tmp, false).archive() == null);
    assertTrue(
        Cds.forClassPath(tmp.resolve("missing.jar").toString(), tmp, false).archive() == null);
    Path jar = Files.writeString(tmp.resolve("x.jar"), "jar");
    Cds cds = Cds.forClassPath(jar.toString(), tmp, false);
    // a server a remote mount starts has an archive of its own (with the remote clients' classes)
    Cds remote = Cds.forClassPath(jar.toString(), tmp, true);
    assertTrue(remote.archive().getFileName().toString().matches("serve-[0-9a-f]{16}\\.jsa"));
    assertFalse(remote.archive().equals(cds.archive()));
    assertTrue(cds.archive().getFileName().toString().matches("serve-[0-9a-f]{16}\\.jsa"));
    assertTrue(cds.usableArchive().isEmpty());
    Files.createDirectories(cds.archive().getParent());
    Files.writeString(cds.archive(), "archive");
    assertEquals(Optional.of(cds.archive()), cds.usableArchive());
    Files.writeString(jar, "rebuilt jar");
    assertFalse(Cds.forClassPath(jar.toString(), tmp, false).archive().equals(cds.archive()));
  }
}
