package dev.cairn.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cairn.cli.PackCliIT.Run;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The command-line contract a user's script relies on, through the real jar: ranges of {@code cat},
 * {@code diff}'s exit status, one-line usage errors, {@code --version}, help texts and when
 * progress bars are drawn.
 */
class CliContractIT {
  @TempDir static Path dir;
  static byte[] content;
  static Path snap;

  @BeforeAll
  static void pack() throws Exception {
    content = new byte[(3 << 20) + 777];
    new Random(7).nextBytes(content);
    Path in = Files.write(dir.resolve("disk.img"), content);
    snap = dir.resolve("disk.cairn");
    PackCliIT.cairn("pack", in.toString(), "-o", snap.toString()).checkOk();
  }

  @Test
  void catLengthPastTheEndMeansToTheEndEvenWhenOffsetPlusLengthOverflows() throws Exception {
    Run r =
        PackCliIT.cairn("cat", snap.toString(), "--offset", "100", "--length", "" + Long.MAX_VALUE);
    assertEquals(0, r.exit(), r.err());
    assertArrayEquals(Arrays.copyOfRange(content, 100, content.length), r.out());
    Run tail = PackCliIT.cairn("cat", snap.toString(), "--offset", "3M", "--length", "1G");
    assertArrayEquals(Arrays.copyOfRange(content, 3 << 20, content.length), tail.checkOk().out());
    Run atEnd = PackCliIT.cairn("cat", snap.toString(), "--offset", "" + content.length);
    assertEquals(0, atEnd.checkOk().out().length);
  }

  @Test
  void catOffsetPastTheEndIsAUsageErrorNamingTheStreamSize() throws Exception {
    Run r = PackCliIT.cairn("cat", snap.toString(), "--offset", "" + (content.length + 1));
    assertEquals(2, r.exit(), r.err());
    assertEquals(0, r.out().length);
    assertEquals(
        "cairn: "
            + snap
            + ": --offset "
            + (content.length + 1)
            + " is past the end of stream disk.img ("
            + content.length
            + " bytes)\n",
        r.err());
  }

  @Test
  void diffExitsLikeDiffAndCmp() throws Exception {
    byte[] changed = content.clone();
    changed[1 << 20] ^= 1;
    Path other = dir.resolve("changed.img");
    Files.write(other, changed);
    Path snapB = dir.resolve("changed.cairn");
    PackCliIT.cairn("pack", other.toString(), "-o", snapB.toString()).checkOk();
    Path copy = dir.resolve("copy.cairn");
    Files.copy(snap, copy);

    Run same = PackCliIT.cairn("diff", snap.toString(), copy.toString());
    assertEquals(0, same.exit(), same.err());
    Run different = PackCliIT.cairn("diff", snap.toString(), snapB.toString());
    assertEquals(1, different.exit(), different.err());
    assertTrue(different.outText().contains("differ in 1 ranges"), different.outText());
    assertEquals("", different.err());
    Run json = PackCliIT.cairn("diff", snap.toString(), snapB.toString(), "--json");
    assertEquals(1, json.exit(), json.err());
    assertTrue(json.outText().contains("\"identical\":false"), json.outText());

    // trouble is 2, also for what is an operational failure (1) elsewhere: a damaged snapshot
    Path missing = dir.resolve("missing.cairn");
    Run trouble = PackCliIT.cairn("diff", snap.toString(), missing.toString());
    assertEquals(2, trouble.exit(), trouble.err());
    Path damaged = dir.resolve("damaged.cairn");
    byte[] bytes = Files.readAllBytes(snap);
    bytes[bytes.length - 10] ^= 0x40; // the trailer
    Files.write(damaged, bytes);
    Run corrupt = PackCliIT.cairn("diff", snap.toString(), damaged.toString());
    assertEquals(2, corrupt.exit(), corrupt.err());
    assertEquals(1, corrupt.err().strip().lines().count(), corrupt.err());
    Run badFlag = PackCliIT.cairn("diff", snap.toString(), copy.toString(), "--nope");
    assertEquals(2, badFlag.exit(), badFlag.err());
  }

  @Test
  void usageErrorsAreOneLineWithThePointerToHelp() throws Exception {
    Run r = PackCliIT.cairn("pack", "x.img");
    assertEquals(2, r.exit());
    assertEquals(
        "cairn: Missing required option: '--output=OUT' (see 'cairn pack --help')\n", r.err());
    Run unknown = PackCliIT.cairn("frobnicate");
    assertEquals(2, unknown.exit());
    assertEquals("cairn: unknown command 'frobnicate' (see 'cairn --help')\n", unknown.err());
  }

  @Test
  void versionNamesTheReleaseAndTheCommit() throws Exception {
    Run r = PackCliIT.cairn("--version").checkOk();
    List<String> lines = r.outText().lines().toList();
    assertEquals(2, lines.size(), r.outText());
    assertTrue(
        Pattern.matches(
            "cairn \\d+\\.\\d+\\.\\d+(-SNAPSHOT)? \\(commit [0-9a-f]{7,}(-dirty)?,"
                + " \\d{4}-\\d\\d-\\d\\d\\)",
            lines.get(0)),
        lines.get(0));
    assertEquals("snapshot format 1.2", lines.get(1));
  }

  @Test
  void helpDescribesEveryCommandInWholeSentencesAndSnapArgumentsAsAnyLocation() throws Exception {
    String help = PackCliIT.cairn("--help").checkOk().outText();
    assertTrue(
        help.contains("Mount a snapshot: each stream appears as a file in MOUNTPOINT"), help);
    assertFalse(help.contains("MOUNTPOINT,\n"), help);
    for (String c : List.of("verify", "cat", "mount", "info", "diff")) {
      String h = PackCliIT.cairn(c, "--help").checkOk().outText();
      assertFalse(h.contains("Snapshot file.\n"), c + ": " + h);
      assertTrue(h.contains("s3://BUCKET/KEY"), c + ": " + h);
    }
  }

  /**
   * The bar is drawn on stderr when stderr is a terminal, whatever stdout is: {@code script} gives
   * the command a terminal, and stdout goes to a file.
   */
  @Test
  void progressBarFollowsStderrNotStdout() throws Exception {
    Path report = dir.resolve("report.txt");
    Path typescript = dir.resolve("typescript");
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    String cmd =
        java + " -jar " + PackCliIT.JAR + " verify " + snap + " > " + report + "; echo exit=$?";
    Process p =
        new ProcessBuilder("script", "-q", "-e", "-c", cmd, typescript.toString())
            .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve("script.out").toFile())
            .start();
    assertTrue(p.waitFor(120, TimeUnit.SECONDS), "script finished");
    String terminal = Files.readString(typescript, StandardCharsets.UTF_8);
    assertTrue(terminal.contains("exit=0"), terminal);
    assertTrue(
        Pattern.compile("verify +100%").matcher(terminal).find(),
        "the finished bar on the terminal: " + terminal);
    String out = Files.readString(report);
    assertTrue(out.startsWith(snap + ": OK"), out);
    assertFalse(out.contains("MiB/s"), "no bar in the report: " + out);

    // and none when stderr is a file, even with a terminal on stdout
    Run quiet = PackCliIT.cairn("verify", snap.toString());
    assertEquals("", quiet.checkOk().err());
  }
}
