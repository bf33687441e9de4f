package dev.cairn.cli;

import static dev.cairn.cli.PackCliIT.cairn;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cairn.cli.PackCliIT.Run;
import dev.cairn.overlay.OverlayImage;
import dev.cairn.read.BlockCache;
import dev.cairn.read.ReadStats;
import dev.cairn.read.Snapshot;
import dev.cairn.source.FileByteSource;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Where {@code pack} and {@code commit} write, through the real jar: special files and links as OUT
 * are refused and left as they are, {@code -o -} streams the snapshot to stdout, and full,
 * read-only and missing output directories each get their one line and exit code. Mounts tmpfs and
 * loop devices (root).
 */
class OutputPathsIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int S_IFMT = 0170000;

  @TempDir static Path shared;
  static Path input;
  static byte[] inputBytes;

  @TempDir Path dir;

  /** 3 MiB + a tail: text, random bytes and zeros. */
  @BeforeAll
  static void makeInput() throws IOException {
    Random r = new Random(10);
    byte[] b = new byte[(3 << 20) + 4321];
    for (int i = 0; i < b.length; i += 4096) {
      if ((i >> 12) % 3 == 0) {
        byte[] rnd = new byte[Math.min(4096, b.length - i)];
        r.nextBytes(rnd);
        System.arraycopy(rnd, 0, b, i, rnd.length);
      } else if ((i >> 12) % 3 == 1) {
        byte[] text = "the quick brown fox jumps over the lazy dog\n".repeat(100).getBytes();
        System.arraycopy(text, 0, b, i, Math.min(4096, b.length - i));
      }
    }
    input = shared.resolve("disk.img");
    Files.write(input, b);
    inputBytes = b;
  }

  @Test
  void outputsThatAreNotRegularFilesAreRefusedAndLeftAsTheyAre() throws Exception {
    Path fifo = dir.resolve("fifo");
    sh("mkfifo", fifo.toString());
    Path socket = dir.resolve("sock");
    Path real = dir.resolve("real.cairn");
    Files.writeString(real, "precious");
    Path link = Files.createSymbolicLink(dir.resolve("link.cairn"), real);
    Path dangling = Files.createSymbolicLink(dir.resolve("dangling.cairn"), dir.resolve("nowhere"));
    Path sub = Files.createDirectory(dir.resolve("sub"));
    try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
      server.bind(UnixDomainSocketAddress.of(socket));
      String give = ", not a regular file; give a file to write (or - for standard output)";
      for (String command : List.of("pack", "commit")) {
        refused(command, "/dev/null", "/dev/null: is a character device" + give);
        refused(command, fifo.toString(), fifo + ": is a FIFO" + give);
        refused(command, socket.toString(), socket + ": is a socket" + give);
        refused(command, sub.toString(), sub + ": is a directory; give the output file name");
        String self = ", not a regular file; give the path of the file itself";
        refused(command, link.toString(), link + ": is a symbolic link" + self);
        refused(command, dangling.toString(), dangling + ": is a symbolic link" + self);
        refused(
            command,
            "",
            "-o '': empty file name; give the snapshot file to write (or - for standard output)");
      }
    }
    assertEquals(0020000, mode(Path.of("/dev/null")), "/dev/null is still a character device");
    assertEquals(0010000, mode(fifo), "still a FIFO");
    assertEquals(0140000, mode(socket), "still a socket");
    assertTrue(Files.isDirectory(sub));
    assertTrue(Files.isSymbolicLink(link));
    assertEquals("precious", Files.readString(real));
    assertTrue(Files.isSymbolicLink(dangling));
    assertFalse(Files.exists(dir.resolve("nowhere")));
    assertEquals(
        List.of("dangling.cairn", "fifo", "link.cairn", "real.cairn", "sock", "sub"), names(dir));
  }

  /** {@code command} (pack, or commit of an overlay) into {@code out} fails with {@code line}. */
  private void refused(String command, String out, String line) throws Exception {
    Run r =
        command.equals("pack")
            ? cairn("pack", input.toString(), "-o", out)
            : cairn("commit", overlay().toString(), "-o", out);
    assertEquals(2, r.exit(), command + " -o " + out + ": " + r.err());
    assertEquals("cairn: " + line + "\n", r.err(), command);
    assertEquals(0, r.out().length);
  }

  private Path overlayDir;

  /** An overlay on a snapshot of the input with one block changed, made once per test. */
  private Path overlay() throws Exception {
    if (overlayDir == null) {
      Path work = Files.createTempDirectory(shared, "overlay");
      Path base = work.resolve("base.cairn");
      cairn("pack", input.toString(), "-o", base.toString()).checkOk();
      overlayDir = work.resolve("ov");
      try (Snapshot s =
              Snapshot.open(
                  FileByteSource.open(base), BlockCache.withCapacity(1 << 20), new ReadStats());
          OverlayImage o = OverlayImage.create(overlayDir, base, s)) {
        o.write(70_000, ByteBuffer.wrap("changed".getBytes()));
        o.fsync();
      }
    }
    return overlayDir;
  }

  @Test
  void packAndCommitStreamToStdoutWhenItIsAFileOrAPipe() throws Exception {
    Run pack = cairn("pack", input.toString(), "-o", "-");
    assertEquals(0, pack.exit(), pack.err());
    assertTrue(
        pack.err().startsWith("packed " + input + " (3.0 MiB) into standard output: "), pack.err());
    Path snap = dir.resolve("stdout.cairn");
    Files.write(snap, pack.out());
    assertArrayEquals(inputBytes, cairn("cat", snap.toString()).checkOk().out());
    assertTrue(cairn("verify", snap.toString()).checkOk().outText().contains("OK"));

    // --json goes to stderr too, as one object
    Run json = cairn("pack", input.toString(), "-o", "-", "--json");
    assertEquals(0, json.exit(), json.err());
    JsonNode n = JSON.readTree(json.err());
    assertEquals("-", n.get("output").asText());
    assertEquals(inputBytes.length, n.get("input_bytes").asLong());
    assertEquals(json.out().length, n.get("output_bytes").asLong());

    // into a pipe: the reader sees the whole snapshot
    Path piped = dir.resolve("piped.cairn");
    Process p =
        new ProcessBuilder(
                "bash",
                "-c",
                "set -o pipefail; \"$0\" -jar \"$1\" pack \"$2\" -o - | cat > \"$3\"",
                javaBin(),
                PackCliIT.JAR.toString(),
                input.toString(),
                piped.toString())
            .redirectErrorStream(true)
            .start();
    String pipeOut = new String(p.getInputStream().readAllBytes());
    assertTrue(p.waitFor(120, TimeUnit.SECONDS));
    assertEquals(0, p.exitValue(), pipeOut);
    assertArrayEquals(inputBytes, cairn("cat", piped.toString()).checkOk().out());

    // commit -o -: a thin child whose parent hint is the base's file name
    Path ov = overlay();
    Run commit = cairn("commit", ov.toString(), "-o", "-");
    assertEquals(0, commit.exit(), commit.err());
    assertTrue(commit.err().startsWith("committed " + ov + " "), commit.err());
    Path child = ov.getParent().resolve("child.cairn");
    Files.write(child, commit.out());
    byte[] expected = inputBytes.clone();
    System.arraycopy("changed".getBytes(), 0, expected, 70_000, 7);
    assertArrayEquals(expected, cairn("cat", child.toString()).checkOk().out());
  }

  @Test
  void stdoutOnATerminalIsRefused() throws Exception {
    // script(1) runs the command with a pseudo-terminal as its stdout
    String cmd =
        String.join(" ", javaBin(), "-jar", PackCliIT.JAR.toString(), "pack", input.toString())
            + " -o -";
    Process p =
        new ProcessBuilder("script", "-qec", cmd, "/dev/null").redirectErrorStream(true).start();
    String text = new String(p.getInputStream().readAllBytes()).replace("\r", "");
    assertTrue(p.waitFor(120, TimeUnit.SECONDS));
    assertEquals(2, p.exitValue(), text);
    assertEquals(
        "cairn: -o -: standard output is a terminal; redirect it to a file or a pipe\n", text);
  }

  @Test
  void outOfSpaceNamesTheOutputAndLeavesNoTemporary() throws Exception {
    Path small = Files.createDirectory(dir.resolve("small"));
    sh("mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", small.toString());
    try {
      Path out = small.resolve("out.cairn");
      Run r = cairn("pack", input.toString(), "-o", out.toString(), "--codec", "none");
      assertEquals(1, r.exit(), r.err());
      assertEquals("cairn: " + out + ": No space left on device\n", r.err());
      assertEquals(List.of(), names(small), "no temporary file left");
    } finally {
      sh("umount", small.toString());
    }
  }

  @Test
  void aReadOnlyDirectoryIsAnOperationalFailureAMissingOneAUsageError() throws Exception {
    Path ro = Files.createDirectory(dir.resolve("ro"));
    sh("mount", "-t", "tmpfs", "-o", "size=1m,ro", "tmpfs", ro.toString());
    try {
      Path out = ro.resolve("out.cairn");
      Run r = cairn("pack", input.toString(), "-o", out.toString());
      assertEquals(1, r.exit(), r.err());
      assertEquals("cairn: " + ro + ": directory not writable, cannot create out.cairn\n", r.err());
      Run c = cairn("commit", overlay().toString(), "-o", out.toString());
      assertEquals(1, c.exit(), c.err());
      assertEquals("cairn: " + ro + ": directory not writable, cannot create out.cairn\n", c.err());
    } finally {
      sh("umount", ro.toString());
    }
    Path missing = dir.resolve("no/such/out.cairn");
    Run m = cairn("pack", input.toString(), "-o", missing.toString());
    assertEquals(2, m.exit(), m.err());
    assertEquals(
        "cairn: " + missing + ": directory " + missing.getParent() + " does not exist\n", m.err());
  }

  /** A block device is reported with its size, not "0 B" (losetup: root). */
  @Test
  void aBlockDeviceIsReportedWithItsSize() throws Exception {
    Path file = dir.resolve("dev.img");
    Files.write(file, java.util.Arrays.copyOf(inputBytes, 3 << 20));
    Process lo =
        new ProcessBuilder("losetup", "--find", "--show", "--read-only", file.toString()).start();
    String dev = new String(lo.getInputStream().readAllBytes()).trim();
    assertEquals(0, lo.waitFor(), "losetup: " + dev);
    try {
      Run human = cairn("pack", dev, "-o", dir.resolve("h.cairn").toString());
      assertEquals(0, human.exit(), human.err());
      assertTrue(human.outText().startsWith("packed " + dev + " (3.0 MiB) into "), human.outText());
      Run json = cairn("pack", dev, "-o", dir.resolve("j.cairn").toString(), "--json");
      assertEquals(0, json.exit(), json.err());
      assertEquals(3 << 20, JSON.readTree(json.outText()).get("input_bytes").asLong());
    } finally {
      sh("losetup", "--detach", dev);
    }
  }

  private static String javaBin() {
    return Path.of(System.getProperty("java.home"), "bin", "java").toString();
  }

  private static void sh(String... cmd) throws Exception {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    assertEquals(0, p.waitFor(), String.join(" ", cmd) + ": " + out);
  }

  private static int mode(Path p) throws IOException {
    return (Integer) Files.getAttribute(p, "unix:mode", java.nio.file.LinkOption.NOFOLLOW_LINKS)
        & S_IFMT;
  }

  private static List<String> names(Path d) throws IOException {
    try (Stream<Path> s = Files.list(d)) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }
}
