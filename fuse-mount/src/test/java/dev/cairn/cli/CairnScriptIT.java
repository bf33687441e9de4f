package dev.cairn.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code scripts/cairn}, the wrapper users run from a checkout, and its class-data archives. */
class CairnScriptIT {
  private static final Path SCRIPT = Path.of("../scripts/cairn").toAbsolutePath().normalize();
  private static final String TRAINING = "preparing a class-data archive";

  @TempDir Path dir;

  record Result(int exit, String out, String err) {}

  private Result run(Path jar, String... args) throws IOException, InterruptedException {
    return run(jar, true, args);
  }

  private Result run(Path jar, boolean cds, String... args)
      throws IOException, InterruptedException {
    Path out = dir.resolve("out.txt");
    Path err = dir.resolve("err.txt");
    ProcessBuilder pb =
        new ProcessBuilder(Stream.concat(Stream.of(SCRIPT.toString()), Stream.of(args)).toList())
            .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
            .redirectOutput(out.toFile())
            .redirectError(err.toFile());
    pb.environment().put("CAIRN_JAR", jar.toString());
    pb.environment().put("XDG_CACHE_HOME", dir.resolve("cache").toString());
    pb.environment().remove("CAIRN_JAVA_OPTS");
    pb.environment().remove("CAIRN_CDS");
    if (!cds) {
      pb.environment().put("CAIRN_CDS", "0");
    }
    Process p = pb.start();
    assertTrue(p.waitFor(180, TimeUnit.SECONDS), "scripts/cairn finished");
    // ISO-8859-1 maps every byte to one char: stdout may be a snapshot's bytes (cat)
    return new Result(
        p.exitValue(), Files.readString(out, StandardCharsets.ISO_8859_1), Files.readString(err));
  }

  /**
   * Two jars used in turn (two checkouts, or CAIRN_JAR) each keep their archive: neither retrains
   * on every command, which cost 2–3 s a command.
   */
  @Test
  void twoJarsUsedInTurnKeepTheirArchives() throws Exception {
    Path a = Files.copy(PackCliIT.JAR, dir.resolve("a.jar"));
    Path b = Files.copy(PackCliIT.JAR, dir.resolve("b.jar"));
    // archives of six jars used long ago: making new ones trims the set to the newest four
    Path cache = Files.createDirectories(dir.resolve("cache/cairn"));
    for (int i = 0; i < 6; i++) {
      Path old = Files.writeString(cache.resolve("cli-old" + i + ".jsa"), "x");
      Files.setLastModifiedTime(old, FileTime.fromMillis(1_000_000_000_000L + i * 1000L));
    }
    Path unrelated = Files.writeString(cache.resolve("notes.txt"), "mine");
    Result first = run(a, "--version");
    assertEquals(0, first.exit(), first.err());
    assertTrue(first.err().contains(TRAINING), first.err());
    Result second = run(b, "--version");
    assertEquals(0, second.exit(), second.err());
    assertTrue(
        second.err().contains(TRAINING), "another jar gets its own archive: " + second.err());
    for (Path jar : List.of(a, b, a, b)) {
      Result again = run(jar, "--version");
      assertEquals(0, again.exit(), again.err());
      assertFalse(again.err().contains(TRAINING), jar + " retrained: " + again.err());
      assertTrue(again.out().startsWith("cairn "), again.out());
    }
    try (Stream<Path> s = Files.list(cache)) {
      List<String> names =
          s.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".jsa")).sorted().toList();
      assertEquals(4, names.size(), names.toString());
      assertTrue(names.containsAll(List.of("cli-old4.jsa", "cli-old5.jsa")), names.toString());
    }
    assertEquals("mine", Files.readString(unrelated));
  }

  private static final Path GOLDEN = Path.of("../testimages/golden").toAbsolutePath().normalize();
  private static final String FULL_JIT =
      "cairn: the parent hashes with SHA-256; packing in a JVM with C2\n";

  /**
   * scripts/cairn pack DIR/disk.img -o OUT --parent DIR/tiny-lz4.cairn --debug, DIR a golden one.
   */
  private Result packAgainst(String golden, Path out) throws IOException, InterruptedException {
    Path d = GOLDEN.resolve(golden);
    return run(
        PackCliIT.JAR,
        false,
        "pack",
        d.resolve("disk.img").toString(),
        "-o",
        out.toString(),
        "--parent",
        d.resolve("tiny-lz4.cairn").toString(),
        "--debug");
  }

  /**
   * The wrapper runs every pack at JIT tier 1 without reading the parent's header; a pack against a
   * format-1.0 parent (SHA-256 content hashes, which only C2 runs at the CPU's speed) runs itself
   * again with both tiers, and writes the same snapshot.
   */
  @Test
  void packAgainstSha256ParentRerunsWithBothTiers() throws Exception {
    Path out = dir.resolve("child.cairn");
    Result r = packAgainst("v1", out);
    assertEquals(0, r.exit(), r.err());
    assertTrue(r.err().startsWith(FULL_JIT), r.err());
    assertTrue(r.out().startsWith("packed "), r.out());
    Result cat = run(PackCliIT.JAR, false, "cat", out.toString());
    assertEquals(0, cat.exit(), cat.err());
    // run() leaves the command's stdout, the child's bytes, in out.txt
    assertEquals(-1L, Files.mismatch(GOLDEN.resolve("v1/disk.img"), dir.resolve("out.txt")));
  }

  /** A parent with XXH3 content hashes keeps the pack in the tier-1 JVM the wrapper started. */
  @Test
  void packAgainstXxh3ParentStaysAtTierOne() throws Exception {
    Result r = packAgainst("v1.1", dir.resolve("child.cairn"));
    assertEquals(0, r.exit(), r.err());
    assertFalse(r.err().contains(FULL_JIT), r.err());
    assertTrue(r.out().startsWith("packed "), r.out());
  }
}
