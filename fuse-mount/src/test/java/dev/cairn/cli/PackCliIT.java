package dev.cairn.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Runs the real {@code cairn.jar} for pack, info, verify and cat, and checks bytes, exit codes and
 * messages the way a user's script would see them.
 */
class PackCliIT {
  static final Path JAR = Path.of("target/cairn.jar").toAbsolutePath();
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir static Path shared;
  static Path mixed;
  static byte[] mixedBytes;

  @TempDir Path dir;

  /** Exit code, stdout bytes and stderr text of one run. */
  record Run(int exit, byte[] out, String err) {
    String outText() {
      return new String(out, StandardCharsets.UTF_8);
    }

    Run checkOk() {
      assertEquals(0, exit, err);
      return this;
    }
  }

  static Run cairn(String... args) throws IOException, InterruptedException {
    return cairn(java.util.Map.of(), args);
  }

  /** Runs cairn with {@code env} added to this process's environment. */
  static Run cairn(java.util.Map<String, String> env, String... args)
      throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("-jar");
    cmd.add(JAR.toString());
    cmd.addAll(Arrays.asList(args));
    Path err = Files.createTempFile("cairn-err", ".txt");
    Path out = Files.createTempFile("cairn-out", ".bin");
    try {
      ProcessBuilder pb =
          new ProcessBuilder(cmd)
              .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
              .redirectOutput(out.toFile())
              .redirectError(err.toFile());
      pb.environment().putAll(env);
      Process p = pb.start();
      if (!p.waitFor(120, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new AssertionError("cairn " + String.join(" ", args) + " did not finish in 120 s");
      }
      return new Run(p.exitValue(), Files.readAllBytes(out), Files.readString(err));
    } finally {
      Files.deleteIfExists(err);
      Files.deleteIfExists(out);
    }
  }

  /** 40 MiB of text, binaries, random bytes and zeros, ending with an odd tail. */
  @BeforeAll
  static void makeMixedInput() throws IOException {
    Random r = new Random(40);
    var buf = new java.io.ByteArrayOutputStream();
    List<Path> sources = new ArrayList<>();
    try (Stream<Path> s = Files.list(Path.of("/usr/share/common-licenses"))) {
      s.filter(Files::isRegularFile).sorted().forEach(sources::add);
    }
    sources.add(Path.of("/bin/ls"));
    sources.add(Path.of("/bin/bash"));
    while (buf.size() < 40 << 20) {
      Path p = sources.get(r.nextInt(sources.size()));
      buf.writeBytes(Files.readAllBytes(p));
      byte[] rnd = new byte[r.nextInt(300_000)];
      r.nextBytes(rnd);
      buf.writeBytes(rnd);
      buf.writeBytes(new byte[r.nextInt(500_000)]);
    }
    byte[] all = Arrays.copyOf(buf.toByteArray(), (40 << 20) + 12_345);
    mixed = shared.resolve("mixed.bin");
    Files.write(mixed, all);
    mixedBytes = all;
  }

  @ParameterizedTest
  @ValueSource(strings = {"lz4", "zstd", "none"})
  void mixedInputRoundTripsThroughPackAndCat(String codec) throws Exception {
    Path snap = dir.resolve("m.cairn");
    Run pack = cairn("pack", mixed.toString(), "-o", snap.toString(), "--codec", codec);
    assertEquals(0, pack.exit(), pack.err());
    assertTrue(pack.outText().startsWith("packed "), pack.outText());
    Run cat = cairn("cat", snap.toString());
    assertEquals(0, cat.exit(), cat.err());
    assertArrayEquals(mixedBytes, cat.out(), "cat returns the packed bytes");

    Run range = cairn("cat", snap.toString(), "--offset", "1000003", "--length", "333333");
    assertEquals(0, range.exit(), range.err());
    assertArrayEquals(Arrays.copyOfRange(mixedBytes, 1000003, 1000003 + 333333), range.out());

    Run tail =
        cairn(
            "cat",
            snap.toString(),
            "--offset",
            String.valueOf(mixedBytes.length - 10),
            "--length",
            "1M");
    assertArrayEquals(
        Arrays.copyOfRange(mixedBytes, mixedBytes.length - 10, mixedBytes.length), tail.out());

    Run verify = cairn("verify", snap.toString());
    assertEquals(0, verify.exit(), verify.err());
    assertTrue(verify.outText().contains("OK"), verify.outText());
  }

  @Test
  void infoJsonIsOneObjectWithStreamSizes() throws Exception {
    Path second = dir.resolve("notes.txt");
    Files.writeString(second, "secondary stream\n".repeat(1000));
    Path snap = dir.resolve("two.cairn");
    assertEquals(
        0,
        cairn(
                "pack",
                mixed.toString(),
                "-o",
                snap.toString(),
                "--secondary",
                second.toString(),
                "--codec",
                "zstd",
                "--name",
                "disk.img")
            .exit());
    Run info = cairn("info", snap.toString(), "--json");
    assertEquals(0, info.exit(), info.err());
    String text = info.outText().trim();
    assertFalse(text.contains("\n"), "one line");
    JsonNode n = JSON.readTree(text);
    assertEquals("zstd", n.get("codec").asText());
    assertEquals(65536, n.get("block_size").asInt());
    assertEquals("xxh3-128", n.get("content_hash").asText());
    assertEquals("1.2", n.get("format_version").asText());
    assertEquals(2, n.get("streams").size());
    assertEquals("disk.img", n.get("streams").get(0).get("name").asText());
    assertEquals(mixedBytes.length, n.get("streams").get(0).get("size").asLong());
    assertEquals("notes.txt", n.get("streams").get(1).get("name").asText());
    assertEquals(Files.size(second), n.get("streams").get(1).get("size").asLong());

    Run sec = cairn("cat", snap.toString(), "--stream", "secondary");
    assertArrayEquals(Files.readAllBytes(second), sec.out());
  }

  @Test
  void verifyNamesTheBlockAfterADataByteFlips() throws Exception {
    Path snap = dir.resolve("v.cairn");
    assertEquals(0, cairn("pack", mixed.toString(), "-o", snap.toString()).exit());
    Run json = cairn("verify", snap.toString(), "--json");
    assertEquals(0, json.exit());
    assertTrue(JSON.readTree(json.outText()).get("ok").asBoolean());

    // Flip a byte in the stored data of block 37: its offset comes from the index via info.
    long offset = dataOffsetOfBlock(snap, 37);
    flip(snap, offset + 5);
    Run bad = cairn("verify", snap.toString(), "--json");
    assertEquals(1, bad.exit(), bad.outText());
    JsonNode n = JSON.readTree(bad.outText());
    assertFalse(n.get("ok").asBoolean());
    assertEquals(1, n.get("problem_count").asInt());
    assertEquals(37, n.get("problems").get(0).get("block").asLong());
    assertEquals("mixed.bin", n.get("problems").get(0).get("stream").asText());

    Run human = cairn("verify", snap.toString());
    assertEquals(1, human.exit());
    assertTrue(human.err().contains("block 37"), human.err());

    Run cat = cairn("cat", snap.toString());
    assertEquals(1, cat.exit(), "cat of a corrupt block fails");
    assertTrue(cat.err().contains("stream mixed.bin, block 37"), cat.err());
    assertTrue(cat.out().length <= 37L * 65536, "nothing of the bad block or after it is written");
    assertNoStackTrace(cat);

    Run other =
        cairn("cat", snap.toString(), "--offset", "0", "--length", String.valueOf(37 * 65536));
    assertEquals(0, other.exit(), "blocks before the damage still read");
    assertArrayEquals(Arrays.copyOf(mixedBytes, 37 * 65536), other.out());
  }

  @Test
  void badInputsGetOneLineAndTheRightExitCode() throws Exception {
    Path snap = dir.resolve("good.cairn");
    assertEquals(0, cairn("pack", mixed.toString(), "-o", snap.toString()).exit());
    byte[] good = Files.readAllBytes(snap);

    expectFailure(2, "no such file", "info", dir.resolve("missing.cairn").toString());
    expectFailure(2, "is a directory", "info", dir.toString());
    Path empty = Files.createFile(dir.resolve("empty.cairn"));
    expectFailure(2, "not a Cairn snapshot", "info", empty.toString());
    Path random = dir.resolve("random.cairn");
    byte[] rnd = new byte[100_000];
    new Random(1).nextBytes(rnd);
    Files.write(random, rnd);
    expectFailure(2, "not a Cairn snapshot", "verify", random.toString());

    Path truncated = dir.resolve("truncated.cairn");
    Files.write(truncated, Arrays.copyOf(good, good.length / 2));
    expectFailure(1, "truncated", "info", truncated.toString());

    Path badTrailer = dir.resolve("trailer.cairn");
    byte[] t = good.clone();
    t[t.length - 10] ^= 0x40;
    Files.write(badTrailer, t);
    expectFailure(1, "trailer", "cat", badTrailer.toString());

    Path hugeFooter = dir.resolve("huge.cairn");
    byte[] h = good.clone();
    // Footer length field (trailer bytes 16..19) claiming ~4 GiB, with the trailer CRC fixed up,
    // so only the length check can catch it.
    int tr = h.length - 48;
    h[tr + 16] = (byte) 0xff;
    h[tr + 17] = (byte) 0xff;
    h[tr + 18] = (byte) 0xff;
    h[tr + 19] = (byte) 0x7f;
    reseal(h, tr);
    Files.write(hugeFooter, h);
    expectFailure(1, "footer", "info", hugeFooter.toString());

    expectFailure(
        2,
        "--codec",
        "pack",
        mixed.toString(),
        "-o",
        dir.resolve("x.cairn").toString(),
        "--codec",
        "brotli");
    expectFailure(
        2,
        "--block-size",
        "pack",
        mixed.toString(),
        "-o",
        dir.resolve("x.cairn").toString(),
        "--block-size",
        "3000");
    expectFailure(
        2,
        "not a size",
        "pack",
        mixed.toString(),
        "-o",
        dir.resolve("x.cairn").toString(),
        "--block-size",
        "lots");
    expectFailure(
        2,
        "no such file",
        "pack",
        dir.resolve("nope.img").toString(),
        "-o",
        dir.resolve("x.cairn").toString());
    expectFailure(
        2,
        "does not exist",
        "pack",
        mixed.toString(),
        "-o",
        dir.resolve("no/such/dir/x.cairn").toString());
    assertFalse(Files.exists(dir.resolve("x.cairn")), "a failed pack leaves no output");
  }

  @Test
  void failedPackLeavesExistingOutputAndNoTemporaryFiles() throws Exception {
    Path out = dir.resolve("keep.cairn");
    Files.writeString(out, "precious");
    expectFailure(2, "is a directory", "pack", dir.toString(), "-o", out.toString());
    assertEquals("precious", Files.readString(out));
    try (Stream<Path> s = Files.list(dir)) {
      assertEquals(List.of(out), s.toList());
    }
  }

  @Test
  void helpListsTheCommands() throws Exception {
    Run help = cairn("--help");
    assertEquals(0, help.exit());
    for (String c : List.of("pack", "info", "verify", "cat")) {
      assertTrue(help.outText().contains("  " + c + " "), c + " in " + help.outText());
    }
    Run none = cairn();
    assertEquals(2, none.exit());
  }

  private static void expectFailure(int code, String fragment, String... args) throws Exception {
    long t0 = System.nanoTime();
    Run r = cairn(args);
    long seconds = (System.nanoTime() - t0) / 1_000_000_000L;
    String what = "cairn " + String.join(" ", args);
    assertEquals(code, r.exit(), what + " → " + r.err());
    assertTrue(r.err().contains(fragment), what + ": expected '" + fragment + "' in " + r.err());
    assertTrue(r.err().startsWith("cairn: "), what + ": " + r.err());
    assertNoStackTrace(r);
    assertTrue(seconds < 30, what + " took " + seconds + " s");
    assertNotEquals(0, r.err().length());
  }

  private static void assertNoStackTrace(Run r) {
    assertFalse(r.err().contains("\tat "), "no stack trace: " + r.err());
    assertFalse(r.err().contains("Exception"), "no exception class names: " + r.err());
  }

  /**
   * The file offset of a block's stored bytes, read from its index entry through the jar's code.
   */
  private static long dataOffsetOfBlock(Path snap, long block) throws IOException {
    try (var s =
        dev.cairn.read.Snapshot.open(
            dev.cairn.source.FileByteSource.open(snap),
            dev.cairn.read.BlockCache.withCapacity(1 << 20),
            new dev.cairn.read.ReadStats())) {
      var e = s.stream(0).entry(block);
      assertTrue(e.kind().hasData(), "block " + block + " has data: " + e);
      return e.offset();
    }
  }

  private static void flip(Path file, long offset) throws IOException {
    try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
      f.seek(offset);
      int b = f.read();
      f.seek(offset);
      f.write(b ^ 0x01);
    }
  }

  /** Recomputes the trailer CRC (bytes 44..47 over 0..43) so a field change passes the checksum. */
  private static void reseal(byte[] file, int trailerStart) {
    java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
    crc.update(file, trailerStart, 44);
    int v = (int) crc.getValue();
    for (int i = 0; i < 4; i++) {
      file[trailerStart + 44 + i] = (byte) (v >>> (8 * i));
    }
  }

  @Test
  void snapshotsAndThinChainsAreReadOverHttp() throws Exception {
    Path www = Files.createDirectories(dir.resolve("www"));
    Chain c = baseAndChild(www, "zstd", 5 << 20, (byte) 7);
    Path base = c.base();
    Path v2File = c.v2File();
    try (dev.cairn.fixture.Nginx nginx =
        dev.cairn.fixture.Nginx.serve(www, Files.createDirectories(dir.resolve("nginx")))) {
      assertReadsChain(
          java.util.Map.of(), nginx.url("base.cairn"), nginx.url("child.cairn"), c, 5242000);

      Run missing = cairn("cat", nginx.url("nope.cairn"));
      assertEquals(2, missing.exit(), missing.err());
      assertTrue(missing.err().contains("nope.cairn: not found (HTTP 404)"), missing.err());
      assertEquals(1, missing.err().strip().split("\n").length, missing.err());

      Run remoteParent =
          cairn(
              "pack",
              v2File.toString(),
              "-o",
              dir.resolve("c2.cairn").toString(),
              "--parent",
              nginx.url("base.cairn"));
      assertEquals(2, remoteParent.exit(), remoteParent.err());
      assertTrue(remoteParent.err().contains("must be a local snapshot"), remoteParent.err());
      assertFalse(Files.exists(dir.resolve("c2.cairn")));

      Files.delete(base);
      Run orphan = cairn("cat", nginx.url("child.cairn"));
      assertEquals(2, orphan.exit(), orphan.err());
      assertTrue(orphan.err().contains("parent snapshot"), orphan.err());
      assertTrue(orphan.err().contains("base.cairn"), orphan.err());
    }
  }

  @Test
  void snapshotsAndThinChainsAreReadFromS3() throws Exception {
    Chain c = baseAndChild(dir, "lz4", 3 << 20, (byte) 9);
    try (dev.cairn.fixture.S3Proxy s3 =
        dev.cairn.fixture.S3Proxy.start(Files.createDirectories(dir.resolve("s3")))) {
      s3.put("fleet", "images/base.cairn", c.base());
      s3.put("fleet", "images/child.cairn", c.child());
      java.util.Map<String, String> env = s3.environment();
      JsonNode info =
          assertReadsChain(
              env, "s3://fleet/images/base.cairn", "s3://fleet/images/child.cairn", c, 3145000);
      assertEquals(
          "s3://fleet/images/base.cairn", info.get("chain").get(1).get("snapshot").asText());

      Run missing = cairn(env, "cat", "s3://fleet/images/nope.cairn");
      assertEquals(2, missing.exit(), missing.err());
      assertTrue(
          missing.err().contains("s3://fleet/images/nope.cairn: not found (S3 404"), missing.err());
      assertEquals(1, missing.err().strip().split("\n").length, missing.err());

      Run badUrl = cairn(env, "info", "s3://fleet/");
      assertEquals(2, badUrl.exit(), badUrl.err());
      assertTrue(badUrl.err().contains("s3://BUCKET/KEY"), badUrl.err());

      java.util.Map<String, String> wrong = new java.util.HashMap<>(env);
      wrong.put("AWS_SECRET_ACCESS_KEY", "wrong");
      Run denied = cairn(wrong, "info", "s3://fleet/images/base.cairn");
      assertEquals(1, denied.exit(), denied.err());
      assertTrue(denied.err().contains("AWS_SECRET_ACCESS_KEY"), denied.err());
      assertEquals(1, denied.err().strip().split("\n").length, denied.err());
    }
  }

  /** A base snapshot of the mixed input and a thin child with 200 KB changed at {@code at}. */
  private record Chain(Path base, Path child, byte[] v2, Path v2File) {}

  private Chain baseAndChild(Path where, String codec, int at, byte value) throws Exception {
    Path base = where.resolve("base.cairn");
    cairn("pack", mixed.toString(), "-o", base.toString(), "--codec", codec).checkOk();
    byte[] v2 = mixedBytes.clone();
    Arrays.fill(v2, at, at + 200_000, value);
    Path v2File = Files.write(dir.resolve("v2.bin"), v2);
    Path child = where.resolve("child.cairn");
    cairn("pack", v2File.toString(), "-o", child.toString(), "--parent", base.toString()).checkOk();
    return new Chain(base, child, v2, v2File);
  }

  /**
   * Reads a remote base and child with cat (whole, and 1000 bytes at {@code offset}), verifies the
   * child and returns its info, which must show a chain of two.
   */
  private JsonNode assertReadsChain(
      java.util.Map<String, String> env, String baseUrl, String childUrl, Chain c, int offset)
      throws Exception {
    assertArrayEquals(mixedBytes, cairn(env, "cat", baseUrl).checkOk().out());
    Run thin = cairn(env, "cat", childUrl).checkOk();
    assertArrayEquals(c.v2(), thin.out(), "thin child, parent found next to it");
    Run range =
        cairn(env, "cat", childUrl, "--offset", Integer.toString(offset), "--length", "1000")
            .checkOk();
    assertArrayEquals(Arrays.copyOfRange(c.v2(), offset, offset + 1000), range.out());
    cairn(env, "verify", childUrl).checkOk();
    JsonNode info = JSON.readTree(cairn(env, "info", childUrl, "--json").checkOk().outText());
    assertEquals(2, info.get("chain").size(), info.toString());
    return info;
  }

  /** An LVM volume or disk is packed like an image file of the device's size (root: losetup). */
  @Test
  void aBlockDeviceIsPackedLikeAnImageFile() throws Exception {
    // a loop device is a whole number of 512-byte sectors
    byte[] image = Arrays.copyOf(mixedBytes, mixedBytes.length / 512 * 512);
    Path file = Files.write(dir.resolve("sectors.img"), image);
    Process lo =
        new ProcessBuilder("losetup", "--find", "--show", "--read-only", file.toString())
            .redirectError(ProcessBuilder.Redirect.INHERIT)
            .start();
    String dev = new String(lo.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
    assertEquals(0, lo.waitFor(), "losetup: " + dev);
    try {
      Path snap = dir.resolve("device.cairn");
      cairn("pack", dev, "-o", snap.toString(), "--name", "disk.img").checkOk();
      assertArrayEquals(image, cairn("cat", snap.toString()).checkOk().out());
      JsonNode info = JSON.readTree(cairn("info", snap.toString(), "--json").checkOk().outText());
      assertEquals(image.length, info.get("streams").get(0).get("size").asLong());
      Run chr = cairn("pack", "/dev/null", "-o", dir.resolve("null.cairn").toString());
      assertEquals(2, chr.exit(), chr.err());
      assertTrue(chr.err().contains("/dev/null: not a regular file or block device"), chr.err());
    } finally {
      new ProcessBuilder("losetup", "--detach", dev).inheritIO().start().waitFor();
    }
  }
}
