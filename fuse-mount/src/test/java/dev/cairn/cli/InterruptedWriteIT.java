package dev.cairn.cli;

import static dev.cairn.cli.PackCliIT.cairn;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cairn.overlay.OverlayImage;
import dev.cairn.read.BlockCache;
import dev.cairn.read.ReadStats;
import dev.cairn.read.Snapshot;
import dev.cairn.source.FileByteSource;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Signals to a running {@code pack} or {@code commit} through the real jar: SIGINT and SIGTERM
 * leave no temporary file (exit 130 and 143, as for any process the signal ends), a {@code kill -9}
 * leaves one that the next pack into the directory removes, and a pack that is still running keeps
 * its temporary file while another pack writes next to it. The writes are slowed down with zstd
 * level 19 so that each signal lands while the temporary file is being written.
 */
class InterruptedWriteIT {
  @TempDir static Path shared;
  static Path big;
  static Path small;
  static Path overlay;

  @TempDir Path dir;
  private final List<Process> started = new ArrayList<>();

  /** 48 MiB of varied text (slow at zstd 19), a 64 KiB file, and an overlay on the big one. */
  @BeforeAll
  static void makeInputs() throws Exception {
    Random r = new Random(2);
    String[] words = "cairn block index page snapshot overlay stream zstd lz4 mount".split(" ");
    ByteArrayOutputStream text = new ByteArrayOutputStream();
    StringBuilder line = new StringBuilder();
    while (text.size() < 48 << 20) {
      line.setLength(0);
      for (int i = 0; i < 12; i++) {
        line.append(words[r.nextInt(words.length)]).append(r.nextInt(100_000)).append(' ');
      }
      text.writeBytes(line.append('\n').toString().getBytes());
    }
    big = Files.write(shared.resolve("big.img"), text.toByteArray());
    small = Files.write(shared.resolve("small.img"), new byte[65536]);
    Path base = shared.resolve("base.cairn");
    cairn("pack", big.toString(), "-o", base.toString()).checkOk();
    overlay = shared.resolve("ov");
    try (Snapshot s =
            Snapshot.open(
                FileByteSource.open(base), BlockCache.withCapacity(1 << 20), new ReadStats());
        OverlayImage o = OverlayImage.create(overlay, base, s)) {
      o.write(1000, ByteBuffer.wrap("changed".getBytes()));
      o.fsync();
    }
  }

  @AfterEach
  void stopStragglers() throws InterruptedException {
    for (Process p : started) {
      if (p.isAlive()) {
        p.destroyForcibly();
        p.waitFor(30, TimeUnit.SECONDS);
      }
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"INT", "TERM"})
  void aSignalDuringPackRemovesTheTemporaryFile(String signal) throws Exception {
    Process pack = slowPack("out.cairn");
    awaitTemporary(pack, "out.cairn");
    kill(signal, pack);
    assertTrue(pack.waitFor(60, TimeUnit.SECONDS), "pack exits on SIG" + signal);
    assertEquals(signal.equals("INT") ? 130 : 143, pack.exitValue());
    assertEquals(List.of(), names(), "no temporary and no output left");
  }

  @Test
  void aSignalDuringCommitRemovesTheTemporaryFile() throws Exception {
    Process commit = slowCommit("c.cairn");
    awaitTemporary(commit, "c.cairn");
    kill("TERM", commit);
    assertTrue(commit.waitFor(60, TimeUnit.SECONDS));
    assertEquals(143, commit.exitValue());
    assertEquals(List.of(), names());
  }

  @Test
  void theNextPackRemovesTheTemporariesOfKilledPacksAndCommits() throws Exception {
    Process pack = slowPack("out.cairn");
    Process commit = slowCommit("c.cairn");
    Path packTemp = awaitTemporary(pack, "out.cairn");
    Path commitTemp = awaitTemporary(commit, "c.cairn");
    kill("KILL", pack);
    kill("KILL", commit);
    assertTrue(pack.waitFor(60, TimeUnit.SECONDS) && commit.waitFor(60, TimeUnit.SECONDS));
    assertEquals(137, pack.exitValue());
    assertEquals(
        List.of(commitTemp.getFileName().toString(), packTemp.getFileName().toString()),
        names(),
        "kill -9 cannot clean up");

    cairn("pack", small.toString(), "-o", dir.resolve("next.cairn").toString()).checkOk();
    assertEquals(List.of("next.cairn"), names());
  }

  @Test
  void aRunningPacksTemporaryIsNotRemovedByAnotherPack() throws Exception {
    Process pack = slowPack("out.cairn");
    Path temp = awaitTemporary(pack, "out.cairn");
    long before = Files.size(temp);
    cairn("pack", small.toString(), "-o", dir.resolve("next.cairn").toString()).checkOk();
    assertTrue(pack.isAlive(), "the slow pack still runs");
    assertEquals(List.of(temp.getFileName().toString(), "next.cairn"), names());
    assertTrue(Files.size(temp) >= before);
    kill("TERM", pack);
    assertTrue(pack.waitFor(60, TimeUnit.SECONDS));
    assertEquals(143, pack.exitValue());
    assertEquals(List.of("next.cairn"), names());
  }

  private Process slowPack(String out) throws IOException {
    return start(
        "pack",
        big.toString(),
        "-o",
        dir.resolve(out).toString(),
        "--codec",
        "zstd",
        "--level",
        "19",
        "--dict",
        "off");
  }

  private Process slowCommit(String out) throws IOException {
    return start(
        "commit",
        overlay.toString(),
        "-o",
        dir.resolve(out).toString(),
        "--flatten",
        "--codec",
        "zstd",
        "--level",
        "19");
  }

  private Process start(String... args) throws IOException {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("-jar");
    cmd.add(PackCliIT.JAR.toString());
    cmd.addAll(List.of(args));
    Process p =
        new ProcessBuilder(cmd)
            .redirectOutput(ProcessBuilder.Redirect.DISCARD)
            .redirectError(ProcessBuilder.Redirect.INHERIT)
            .start();
    started.add(p);
    return p;
  }

  /** Waits until the writer of {@code out} has a non-empty temporary file in {@link #dir}. */
  private Path awaitTemporary(Process p, String out) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
    while (System.nanoTime() < deadline) {
      assertTrue(p.isAlive(), "the writer of " + out + " exited early: " + names());
      try (Stream<Path> s = Files.list(dir)) {
        for (Path t : s.toList()) {
          if (t.getFileName().toString().startsWith("." + out + ".tmp-cairn-")
              && Files.size(t) > 0) {
            return t;
          }
        }
      }
      Thread.sleep(50);
    }
    throw new AssertionError("no temporary file for " + out + " within 90 s: " + names());
  }

  private static void kill(String signal, Process p) throws Exception {
    assertEquals(
        0, new ProcessBuilder("kill", "-" + signal, String.valueOf(p.pid())).start().waitFor());
  }

  private List<String> names() throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }
}
