package dev.cairn.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cairn.write.Pack;
import dev.cairn.write.WriterOptions;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Argument checks of {@code mount} / {@code umount} that fail before anything is mounted. */
class MountArgumentsTest {
  @TempDir Path tmp;

  record Run(int code, String out, String err) {}

  private Run run(String... args) {
    PrintStream oldOut = System.out;
    PrintStream oldErr = System.err;
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    try {
      System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
      System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
      int code = Main.run(args);
      return new Run(
          code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    } finally {
      System.setOut(oldOut);
      System.setErr(oldErr);
    }
  }

  private Path snapshot() throws Exception {
    Path in = Files.writeString(tmp.resolve("in.txt"), "some bytes\n".repeat(100));
    Path snap = tmp.resolve("s.cairn");
    Pack.run(List.of(new Pack.Input(in, "in.txt")), snap, WriterOptions.defaults(), n -> {});
    return snap;
  }

  private static void assertOneLine(Run r, String fragment) {
    assertEquals(2, r.code(), r.err());
    String[] lines = r.err().strip().split("\n");
    assertEquals(1, lines.length, r.err());
    assertTrue(lines[0].startsWith("cairn: "), r.err());
    assertTrue(lines[0].contains(fragment), r.err());
  }

  @Test
  void badUidGidOrModeIsOneLineExitTwo() throws Exception {
    String snap = snapshot().toString();
    String mnt = Files.createDirectory(tmp.resolve("mnt")).toString();
    Run r = run("mount", snap, mnt, "--mode", "0755");
    assertOneLine(r, "--mode 0755: stream files take read and write bits only");
    assertEquals(
        "cairn: --mode 0755: stream files take read and write bits only (e.g. 0644 or 0444, no"
            + " execute bits)\n",
        r.err());
    assertOneLine(run("mount", snap, mnt, "--mode", "rw-r--r--"), "--mode rw-r--r--: not an octal");
    assertOneLine(run("mount", snap, mnt, "--mode", "06440"), "--mode 06440: not an octal");
    assertOneLine(
        run("mount", snap, mnt, "--uid", "no-such-user-cairn"),
        "--uid no-such-user-cairn: no such user");
    assertOneLine(
        run("mount", snap, mnt, "--gid", "no-such-group-cairn"),
        "--gid no-such-group-cairn: no such group");
    assertOneLine(run("mount", snap, mnt, "--uid", "4294967295"), "--uid 4294967295: out of range");
    assertOneLine(run("mount", snap, mnt, "--gid", "-1"), "--gid '-1': not a group name or number");
  }

  @Test
  void missingMountPoint() throws Exception {
    Path snap = snapshot();
    assertOneLine(run("mount", snap.toString(), tmp.resolve("nope").toString()), "does not exist");
  }

  @Test
  void mountPointIsAFile() throws Exception {
    Path snap = snapshot();
    Path f = Files.writeString(tmp.resolve("file"), "x");
    assertOneLine(run("mount", snap.toString(), f.toString()), "not a directory");
  }

  @Test
  void mountPointNotEmpty() throws Exception {
    Path snap = snapshot();
    Path d = Files.createDirectory(tmp.resolve("d"));
    Files.writeString(d.resolve("x"), "x");
    assertOneLine(run("mount", snap.toString(), d.toString()), "not empty");
  }

  @Test
  void mountPointAlreadyAMount() throws Exception {
    assertOneLine(run("mount", snapshot().toString(), "/proc"), "already mounted there (proc)");
  }

  @Test
  void snapshotMissingOrNotASnapshot() throws Exception {
    Path d = Files.createDirectory(tmp.resolve("d"));
    assertOneLine(run("mount", tmp.resolve("none.cairn").toString(), d.toString()), "no such file");
    Path notSnap = Files.writeString(tmp.resolve("x.cairn"), "just some text, long enough");
    assertOneLine(run("mount", notSnap.toString(), d.toString()), "not a Cairn snapshot");
    Path tiny = Files.writeString(tmp.resolve("t.cairn"), "x");
    assertOneLine(run("mount", tiny.toString(), d.toString()), "not a Cairn snapshot");
  }

  @Test
  void badCacheSize() throws Exception {
    Path d = Files.createDirectory(tmp.resolve("d"));
    Run r = run("mount", snapshot().toString(), d.toString(), "--cache-size", "12Q");
    assertOneLine(r, "12Q");
    assertTrue(r.err().strip().endsWith("(see 'cairn mount --help')"), r.err());
    assertOneLine(
        run("mount", snapshot().toString(), d.toString(), "--cache-size", "4K"),
        "--cache-size must be at least 1M");
    // 1T would have the serving JVM ask for a terabyte of heap and die with an hs_err file
    assertOneLine(
        run("mount", snapshot().toString(), d.toString(), "--cache-size", "1T"),
        "is more than half of this machine's memory");
  }

  @Test
  void progressIsDecidedByWhetherStderrIsATerminal() {
    assertTrue(Terminal.isTerminalDevice("/dev/pts/3"));
    assertTrue(Terminal.isTerminalDevice("/dev/tty1"));
    assertFalse(Terminal.isTerminalDevice("/tmp/report.txt"));
    assertFalse(Terminal.isTerminalDevice("pipe:[12345]"));
    assertFalse(Terminal.isTerminalDevice("/dev/null"));
  }

  @Test
  void umountOfSomethingElse() throws Exception {
    Path d = Files.createDirectory(tmp.resolve("d"));
    assertOneLine(run("umount", d.toString()), "not a cairn mount");
    assertOneLine(run("umount", tmp.resolve("none").toString()), "no such directory");
    assertOneLine(run("umount", "/proc"), "not a cairn mount (it is a proc mount)");
  }
}
