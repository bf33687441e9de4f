package dev.cairn.fuse;

import static dev.cairn.fuse.MountSupport.cairn;
import static dev.cairn.fuse.MountSupport.cairnRaw;
import static dev.cairn.fuse.MountSupport.cleanUp;
import static dev.cairn.fuse.MountSupport.umount;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cairn.crypto.KeyRing;
import dev.cairn.crypto.KeySource;
import dev.cairn.fixture.Nginx;
import dev.cairn.fixture.PlaintextRuns;
import dev.cairn.fixture.S3Proxy;
import dev.cairn.format.BlockEntry;
import dev.cairn.read.BlockCache;
import dev.cairn.read.ReadStats;
import dev.cairn.read.Snapshot;
import dev.cairn.source.FileByteSource;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Encrypted snapshots through the real CLI and the real kernel: a 40 MiB mixed input (text,
 * binaries, random bytes, zeros and a hole) packed with {@code --encrypt} reads back byte-exact by
 * {@code cat} and through a mount, with no 16-byte plaintext run in the file; the key errors are
 * one exact line and exit 2; a flipped data byte fails {@code verify} naming the block and that
 * block's reads in a mount (EIO) while the rest reads; no secret reaches the serving process's
 * command line, environment, log or stats; a chain sealed under two keys, extended through an
 * overlay and {@code commit}, stores only changed blocks; and the file over HTTP and S3 leaves only
 * ciphertext in the chunk cache.
 */
class EncryptionIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int BLOCK = 64 << 10;
  private static final String PASSPHRASE = "correct horse battery staple, encrypted";

  @TempDir static Path shared;
  static Path input;
  static byte[] inputBytes;
  static PlaintextRuns plaintext;
  static Path keyA;
  static Path keyB;
  static Path sealedA; // the input sealed under key A

  @TempDir Path dir;
  Path mnt;

  /** 40 MiB + an odd tail: licenses (text), /bin/ls and bash, random runs, zeros, a 3 MiB hole. */
  @BeforeAll
  static void makeInputAndPack() throws Exception {
    MountSupport.requireFuse();
    Random r = new Random(12);
    var buf = new java.io.ByteArrayOutputStream();
    List<Path> sources = new ArrayList<>();
    try (Stream<Path> s = Files.list(Path.of("/usr/share/common-licenses"))) {
      s.filter(Files::isRegularFile).sorted().forEach(sources::add);
    }
    sources.add(Path.of("/bin/ls"));
    sources.add(Path.of("/bin/bash"));
    while (buf.size() < 40 << 20) {
      buf.writeBytes(Files.readAllBytes(sources.get(r.nextInt(sources.size()))));
      byte[] rnd = new byte[r.nextInt(300_000)];
      r.nextBytes(rnd);
      buf.writeBytes(rnd);
      buf.writeBytes(new byte[r.nextInt(400_000)]);
    }
    inputBytes = Arrays.copyOf(buf.toByteArray(), (40 << 20) + 12_345);
    int holeAt = 20 << 20;
    int holeLength = 3 << 20;
    Arrays.fill(inputBytes, holeAt, holeAt + holeLength, (byte) 0);
    input = shared.resolve("mixed.bin");
    try (FileChannel ch =
        FileChannel.open(input, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
      ch.write(ByteBuffer.wrap(inputBytes, 0, holeAt), 0);
      int after = holeAt + holeLength;
      ch.write(ByteBuffer.wrap(inputBytes, after, inputBytes.length - after), after);
    }
    long allocated =
        512
            * Long.parseLong(
                MountSupport.run("stat", "-c", "%b", input.toString()).ok().out().strip());
    assertEquals(inputBytes.length, Files.size(input));
    assertTrue(allocated < inputBytes.length - (2 << 20), "the input is sparse: " + allocated);
    plaintext = PlaintextRuns.of(inputBytes);
    keyA = Files.write(shared.resolve("a.key"), key(1));
    keyB = Files.writeString(shared.resolve("b.key"), HexFormat.of().formatHex(key(2)) + "\n");
    sealedA = shared.resolve("sealed.cairn");
    MountSupport.Run pack =
        cairn(
                "pack",
                input.toString(),
                "-o",
                sealedA.toString(),
                "--encrypt",
                "--key-file",
                keyA.toString())
            .ok();
    assertTrue(pack.out().contains(", encrypted (AES-256-GCM, key file)"), pack.out());
  }

  private static byte[] key(int seed) {
    byte[] k = new byte[32];
    new Random(seed).nextBytes(k);
    return k;
  }

  @AfterEach
  void tearDown() {
    cleanUp(mnt);
  }

  private Path mountPoint() throws IOException {
    mnt = Files.createDirectories(dir.resolve("mnt"));
    return mnt;
  }

  @Test
  void theCheckForPlaintextRunsFindsOne() {
    // the check below must be able to fail: 16 bytes of text amid random bytes are found
    byte[] file = new byte[1 << 20];
    new Random(3).nextBytes(file);
    int text =
        indexOf(inputBytes, "GNU General Public License".getBytes(StandardCharsets.US_ASCII));
    assertTrue(text >= 0);
    System.arraycopy(inputBytes, text, file, 777_777, 16);
    assertEquals(OptionalLong.of(777_777), plaintext.firstRunIn(file));
    assertEquals(OptionalLong.empty(), plaintext.firstRunIn(Arrays.copyOf(file, 777_777 + 15)));
  }

  @Test
  void sealedWithAKeyFileReadsBackByCatAndThroughTheKernelAndHidesThePlaintext() throws Exception {
    assertEquals(OptionalLong.empty(), plaintext.firstRunIn(Files.readAllBytes(sealedA)));
    MountSupport.Raw cat =
        cairnRaw(Map.of(), "cat", sealedA.toString(), "--key-file", keyA.toString());
    assertEquals(0, cat.exit(), cat.err());
    assertArrayEquals(inputBytes, cat.out());
    MountSupport.Raw range =
        cairnRaw(
            Map.of(),
            "cat",
            sealedA.toString(),
            "--key-file",
            keyB.toString(),
            "--key-file",
            keyA.toString(),
            "--offset",
            "20000003",
            "--length",
            "1000000");
    assertEquals(0, range.exit(), range.err());
    assertArrayEquals(Arrays.copyOfRange(inputBytes, 20_000_003, 21_000_003), range.out());

    MountSupport.mount(sealedA, mountPoint(), "--key-file", keyA.toString());
    assertArrayEquals(inputBytes, Files.readAllBytes(mnt.resolve("mixed.bin")));
    assertNoSecretInTheServingProcess(mnt, List.of(key(1)), List.of());
    umount(mnt);

    assertEquals(
        "cairn: " + sealedA + " is encrypted: give --key-file or --passphrase-env",
        cairn("cat", sealedA.toString()).fails(2, "is encrypted").err().strip());
    assertTrue(
        cairn("verify", sealedA.toString(), "--key-file", keyA.toString())
            .ok()
            .out()
            .contains(": OK, "));
  }

  @Test
  void aPassphraseFromTheEnvironmentSealsAndOpensAndNeverReachesTheServingProcess()
      throws Exception {
    Path snap = dir.resolve("pass.cairn");
    Map<String, String> env = Map.of("CAIRN_IT_PASS", PASSPHRASE);
    MountSupport.Run pack =
        cairn(
                env,
                "pack",
                input.toString(),
                "-o",
                snap.toString(),
                "--encrypt",
                "--passphrase-env",
                "CAIRN_IT_PASS",
                "--json")
            .ok();
    JsonNode packed = JSON.readTree(pack.out());
    assertEquals("argon2id", packed.get("encryption").get("kdf").asText());
    assertFalse(pack.out().contains(PASSPHRASE));
    assertEquals(OptionalLong.empty(), plaintext.firstRunIn(Files.readAllBytes(snap)));
    MountSupport.Raw cat =
        cairnRaw(env, "cat", snap.toString(), "--passphrase-env", "CAIRN_IT_PASS");
    assertEquals(0, cat.exit(), cat.err());
    assertArrayEquals(inputBytes, cat.out());

    // info needs no key, and says what would open the snapshot, never more
    JsonNode info = JSON.readTree(cairn("info", snap.toString(), "--json").ok().out());
    assertTrue(info.get("encrypted").asBoolean());
    assertEquals(
        "{\"cipher\":\"AES-256-GCM\",\"kdf\":\"argon2id\",\"memory_kib\":65536,\"iterations\":3,"
            + "\"parallelism\":1,\"description\":\"AES-256-GCM, passphrase (Argon2id, 64 MiB, 3"
            + " passes, 1 lane)\"}",
        info.get("encryption").toString());
    assertFalse(info.get("footer_verified").asBoolean());
    assertEquals(inputBytes.length, info.get("streams").get(0).get("size").asLong());
    String text = cairn("info", snap.toString()).ok().out();
    assertTrue(
        text.contains("encrypted   AES-256-GCM, passphrase (Argon2id, 64 MiB, 3 passes, 1 lane)\n"),
        text);
    assertTrue(text.contains("footer      not verified without a key"), text);
    JsonNode keyed =
        JSON.readTree(
            cairn(env, "info", snap.toString(), "--json", "--passphrase-env", "CAIRN_IT_PASS")
                .ok()
                .out());
    assertTrue(keyed.get("footer_verified").asBoolean());
    assertTrue(keyed.get("streams").get(0).get("raw_blocks").asLong() > 0);

    MountSupport.Run m =
        cairn(
                env,
                "mount",
                snap.toString(),
                mountPoint().toString(),
                "--passphrase-env",
                "CAIRN_IT_PASS")
            .ok();
    assertTrue(m.out().startsWith("mounted "), m.out());
    assertArrayEquals(inputBytes, Files.readAllBytes(mnt.resolve("mixed.bin")));
    assertNoSecretInTheServingProcess(mnt, List.of(), List.of(PASSPHRASE));
    umount(mnt);
  }

  /**
   * The serving process's command line, environment, log and stats.json hold none of the keys (raw,
   * or as hex in either case) and none of the passphrases.
   */
  private static void assertNoSecretInTheServingProcess(
      Path mnt, List<byte[]> keys, List<String> passphrases) throws IOException {
    JsonNode stats = JSON.readTree(Files.readAllBytes(mnt.resolve(".cairn/stats.json")));
    long pid = stats.get("mount").get("pid").asLong();
    Map<String, byte[]> places =
        Map.of(
            "cmdline", Files.readAllBytes(Path.of("/proc/" + pid + "/cmdline")),
            "environ", Files.readAllBytes(Path.of("/proc/" + pid + "/environ")),
            "log", Files.readAllBytes(Path.of(stats.get("mount").get("log_file").asText())),
            "stats.json", Files.readAllBytes(mnt.resolve(".cairn/stats.json")));
    String cmdline = new String(places.get("cmdline"), StandardCharsets.UTF_8);
    // a process of its own reads them from its stdin; the user's server gets them with the mount
    // request over its private socket
    assertTrue(
        cmdline.contains("--keys-on-stdin") || cmdline.contains("dev.cairn.mount.MountDaemon"),
        "the keys were handed over: " + cmdline);
    List<byte[]> secrets = new ArrayList<>();
    for (byte[] k : keys) {
      secrets.add(k);
      secrets.add(HexFormat.of().formatHex(k).getBytes(StandardCharsets.US_ASCII));
      secrets.add(HexFormat.of().withUpperCase().formatHex(k).getBytes(StandardCharsets.US_ASCII));
    }
    for (String p : passphrases) {
      secrets.add(p.getBytes(StandardCharsets.UTF_8));
    }
    assertFalse(secrets.isEmpty());
    for (Map.Entry<String, byte[]> place : places.entrySet()) {
      for (byte[] secret : secrets) {
        assertEquals(-1, indexOf(place.getValue(), secret), "a secret in " + place.getKey());
      }
    }
  }

  @Test
  void keyProblemsAreOneExactLineAndExitTwo() throws Exception {
    String snap = sealedA.toString();
    Path shortKey = Files.write(dir.resolve("short.key"), new byte[5]);
    Path missing = dir.resolve("missing.key");
    expect(
        "cairn: wrong key for " + snap + " (tried key file " + keyB + ")",
        "cat",
        snap,
        "--key-file",
        keyB.toString());
    expect("cairn: " + snap + " is encrypted: give --key-file or --passphrase-env", "verify", snap);
    expect(
        "cairn: "
            + shortKey
            + ": 5 bytes; a key file holds 32 bytes or 64 hex digits (make one with 'head -c 32"
            + " /dev/urandom > FILE')",
        "cat",
        snap,
        "--key-file",
        shortKey.toString());
    expect(
        "cairn: " + missing + ": no such key file",
        "diff",
        snap,
        snap,
        "--key-file",
        missing.toString());
    expect(
        "cairn: environment variable CAIRN_IT_UNSET is not set (--passphrase-env names a variable"
            + " that holds the passphrase)",
        "cat",
        snap,
        "--passphrase-env",
        "CAIRN_IT_UNSET");
    MountSupport.Run empty =
        cairn(Map.of("CAIRN_IT_EMPTY", ""), "verify", snap, "--passphrase-env", "CAIRN_IT_EMPTY");
    assertEquals(2, empty.exit());
    assertEquals(
        "cairn: environment variable CAIRN_IT_EMPTY is empty (--passphrase-env names a variable"
            + " that holds the passphrase)",
        empty.err().strip());
    expect(
        "cairn: wrong key for "
            + snap
            + " (tried passphrase from $CAIRN_IT_PASS; it was sealed with a key file)",
        Map.of("CAIRN_IT_PASS", PASSPHRASE),
        "cat",
        snap,
        "--passphrase-env",
        "CAIRN_IT_PASS");
    expect(
        "cairn: --encrypt needs a key: give --key-file FILE or --passphrase-env VAR (the first one"
            + " given seals the new snapshot)",
        "pack",
        input.toString(),
        "-o",
        dir.resolve("x.cairn").toString(),
        "--encrypt");
    assertFalse(Files.exists(dir.resolve("x.cairn")));
    expect(
        "cairn: wrong key for " + snap + " (tried key file " + keyB + ")",
        "mount",
        snap,
        mountPoint().toString(),
        "--key-file",
        keyB.toString());
    expect(
        "cairn: " + snap + " is encrypted: give --key-file or --passphrase-env",
        "mount",
        snap,
        mnt.toString());
    assertTrue(MountTable.find(mnt.toRealPath()).isEmpty());
  }

  private static void expect(String line, String... args) throws Exception {
    expect(line, Map.of(), args);
  }

  private static void expect(String line, Map<String, String> env, String... args)
      throws Exception {
    MountSupport.Run r = cairn(env, args);
    assertEquals(2, r.exit(), String.join(" ", args) + "\n" + r.err());
    assertEquals(line + "\n", r.err(), "exactly one line, no stack trace");
  }

  @Test
  void aFlippedDataByteFailsVerifyNamingTheBlockAndIsEioOnlyThereInAMount() throws Exception {
    Path snap = Files.copy(sealedA, dir.resolve("flipped.cairn"));
    KeyRing ring = KeyRing.of(List.of(KeySource.KeyFile.read(keyA)));
    long bad = -1;
    BlockEntry e = null;
    try (Snapshot s =
        Snapshot.open(
            FileByteSource.open(snap), BlockCache.withCapacity(1 << 20), new ReadStats(), ring)) {
      for (long b = 100; b < s.stream(0).blockCount() && bad < 0; b++) {
        if (s.stream(0).entry(b).kind().hasData()) {
          bad = b;
          e = s.stream(0).entry(b);
        }
      }
    }
    assertNotNull(e);
    try (FileChannel ch =
        FileChannel.open(snap, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
      long at = e.offset() + e.storedLength() / 2;
      ByteBuffer one = ByteBuffer.allocate(1);
      ch.read(one, at);
      ch.write(ByteBuffer.wrap(new byte[] {(byte) (one.get(0) ^ 0x01)}), at);
    }
    MountSupport.Run verify = cairn("verify", snap.toString(), "--key-file", keyA.toString());
    assertEquals(1, verify.exit(), verify.err());
    assertEquals(
        "cairn: "
            + snap
            + ": corrupt snapshot, stream mixed.bin, block "
            + bad
            + ": checksum mismatch in stored bytes (CRC32C)\n",
        verify.err());
    assertTrue(verify.out().contains("FAILED, 1 of "), verify.out());

    MountSupport.mount(snap, mountPoint(), "--key-file", keyA.toString());
    long badBlock = bad;
    try (FileChannel ch = FileChannel.open(mnt.resolve("mixed.bin"))) {
      IOException eio =
          assertThrows(IOException.class, () -> read(ch, badBlock * BLOCK + 100, 1000));
      assertTrue(String.valueOf(eio.getMessage()).contains("Input/output error"), eio.toString());
      for (long b : List.of(0L, bad - 1, bad + 1, 300L)) {
        assertArrayEquals(
            Arrays.copyOfRange(inputBytes, (int) (b * BLOCK), (int) ((b + 1) * BLOCK)),
            read(ch, b * BLOCK, BLOCK),
            "block " + b);
      }
    }
    assertTrue(MountTable.find(mnt.toRealPath()).isPresent(), "the mount stays up");
    umount(mnt);
  }

  private static byte[] read(FileChannel ch, long off, int len) throws IOException {
    ByteBuffer b = ByteBuffer.allocate(len);
    while (b.hasRemaining() && ch.read(b, off + b.position()) >= 0) {
      // fill
    }
    return Arrays.copyOf(b.array(), b.position());
  }

  @Test
  void aChainUnderTwoKeysGrowsThroughAnOverlayAndStoresOnlyChangedBlocks() throws Exception {
    // child: three blocks changed, sealed under key B, thin on the base under key A
    byte[] v2 = inputBytes.clone();
    Random r = new Random(77);
    for (int b : new int[] {7, 250, 600}) {
      byte[] rnd = new byte[BLOCK];
      r.nextBytes(rnd);
      System.arraycopy(rnd, 0, v2, b * BLOCK, BLOCK);
    }
    Path v2File = Files.write(dir.resolve("mixed.bin"), v2);
    Path base = Files.copy(sealedA, dir.resolve("base.cairn"));
    Path child = dir.resolve("child.cairn");
    String a = keyA.toString();
    String b = keyB.toString();
    cairn(
            "pack",
            v2File.toString(),
            "-o",
            child.toString(),
            "--parent",
            base.toString(),
            "--encrypt",
            "--key-file",
            b,
            "--key-file",
            a)
        .ok();
    assertEquals(3, storedBlocks(child, b, a), "the child stores the three changed blocks");

    // the overlay on the child: two more blocks changed through the kernel
    Path overlay = dir.resolve("overlay");
    MountSupport.mount(
        child, mountPoint(), "--overlay", overlay.toString(), "--key-file", b, "--key-file", a);
    byte[] v3 = v2.clone();
    ByteBuffer written = ByteBuffer.allocate(2 * BLOCK);
    try (FileChannel ch = FileChannel.open(mnt.resolve("mixed.bin"), StandardOpenOption.WRITE)) {
      for (int blk : new int[] {100, 500}) {
        byte[] rnd = new byte[BLOCK];
        r.nextBytes(rnd);
        System.arraycopy(rnd, 0, v3, blk * BLOCK, BLOCK);
        written.put(rnd);
        ch.write(ByteBuffer.wrap(rnd), (long) blk * BLOCK);
      }
      ch.force(true);
    }
    umount(mnt);
    // The overlay on an encrypted base is sealed at rest: neither the bytes written nor the base's
    // bytes around them (a chunk is larger than a write) are in any of its files.
    PlaintextRuns writtenIndex = PlaintextRuns.of(written.array());
    int overlayFiles = 0;
    try (Stream<Path> files = Files.walk(overlay)) {
      for (Path f : (Iterable<Path>) files.filter(Files::isRegularFile)::iterator) {
        byte[] content = Files.readAllBytes(f);
        assertEquals(OptionalLong.empty(), writtenIndex.firstRunIn(content), f.toString());
        // overlay.properties is the overlay's own text (ids, paths, salt), not the image's
        if (!f.getFileName().toString().equals("overlay.properties")) {
          assertEquals(OptionalLong.empty(), plaintext.firstRunIn(content), f.toString());
        }
        overlayFiles++;
      }
    }
    assertTrue(overlayFiles >= 3, "spill, manifest and properties: " + overlayFiles);

    Path grand = dir.resolve("grand.cairn");
    JsonNode commit =
        JSON.readTree(
            cairn(
                    "commit",
                    overlay.toString(),
                    "-o",
                    grand.toString(),
                    "--key-file",
                    b,
                    "--key-file",
                    a,
                    "--json")
                .ok()
                .out());
    assertEquals("key-file", commit.get("encryption").get("kdf").asText(), "sealed like its base");
    assertEquals(2, storedBlocks(grand, b, a), "the grandchild stores the two blocks written");
    assertEquals(OptionalLong.empty(), plaintext.firstRunIn(Files.readAllBytes(grand)));

    MountSupport.mount(grand, mnt, "--key-file", a, "--key-file", b);
    assertArrayEquals(v3, Files.readAllBytes(mnt.resolve("mixed.bin")), "every byte");
    umount(mnt);

    // each member needs its own key, and the error names the one that is missing
    expect(
        "cairn: wrong key for " + child + " (tried key file " + a + ")",
        "mount",
        grand.toString(),
        mnt.toString(),
        "--key-file",
        a);
    expect(
        "cairn: wrong key for " + base + " (tried key file " + b + ")",
        "cat",
        grand.toString(),
        "--key-file",
        b);
    expect(
        "cairn: " + base + " is encrypted: give --key-file or --passphrase-env",
        "verify",
        grand.toString());

    // a plain child of the encrypted grandchild still inherits its unchanged blocks
    Path plain = dir.resolve("plain.cairn");
    Path v3File = Files.write(dir.resolve("v3.bin"), v3);
    MountSupport.Run p =
        cairn(
                "pack",
                v3File.toString(),
                "-o",
                plain.toString(),
                "--parent",
                grand.toString(),
                "--key-file",
                a,
                "--key-file",
                b,
                "--name",
                "mixed.bin")
            .ok();
    assertTrue(p.err().contains("is encrypted but the new snapshot will not be"), p.err());
    assertEquals(0, storedBlocks(plain, a, b));
  }

  /** Blocks of the primary stream that hold data (compressed or raw), from {@code info --json}. */
  private static long storedBlocks(Path snap, String... keys) throws Exception {
    List<String> args = new ArrayList<>(List.of("info", snap.toString(), "--json"));
    for (String k : keys) {
      args.add("--key-file");
      args.add(k);
    }
    JsonNode s = JSON.readTree(cairn(args.toArray(String[]::new)).ok().out()).get("streams").get(0);
    return s.get("compressed_blocks").asLong() + s.get("raw_blocks").asLong();
  }

  @Test
  void overHttpAndS3TheChunkCacheHoldsOnlyCiphertext() throws Exception {
    Path www = Files.createDirectories(dir.resolve("www"));
    Files.copy(sealedA, www.resolve("sealed.cairn"));
    Path httpCache = dir.resolve("http-cache");
    try (Nginx nginx = Nginx.serve(www, Files.createDirectories(dir.resolve("nginx")))) {
      MountSupport.Raw cat =
          cairnRaw(
              Map.of("CAIRN_CACHE_DIR", httpCache.toString()),
              "cat",
              nginx.url("sealed.cairn"),
              "--key-file",
              keyA.toString());
      assertEquals(0, cat.exit(), cat.err());
      assertArrayEquals(inputBytes, cat.out());
    }
    assertCacheHoldsNoPlaintext(httpCache);

    Path s3Cache = dir.resolve("s3-cache");
    try (S3Proxy s3 = S3Proxy.start(Files.createDirectories(dir.resolve("s3")))) {
      s3.put("fleet", "images/sealed.cairn", sealedA);
      Map<String, String> env = new java.util.HashMap<>(s3.environment());
      env.put("CAIRN_CACHE_DIR", s3Cache.toString());
      MountSupport.Raw cat =
          cairnRaw(env, "cat", "s3://fleet/images/sealed.cairn", "--key-file", keyA.toString());
      assertEquals(0, cat.exit(), cat.err());
      assertArrayEquals(inputBytes, cat.out());
      MountSupport.Run missing = cairn(env, "cat", "s3://fleet/images/sealed.cairn");
      assertEquals(2, missing.exit());
      assertEquals(
          "cairn: s3://fleet/images/sealed.cairn is encrypted: give --key-file or --passphrase-env\n",
          missing.err());
    }
    assertCacheHoldsNoPlaintext(s3Cache);
  }

  private static void assertCacheHoldsNoPlaintext(Path cache) throws IOException {
    long bytes = 0;
    try (Stream<Path> s = Files.walk(cache)) {
      // CACHEDIR.TAG is the cache's own text, not the snapshot's
      for (Path p :
          (Iterable<Path>)
              s.filter(Files::isRegularFile)
                      .filter(p -> !p.getFileName().toString().equals("CACHEDIR.TAG"))
                  ::iterator) {
        byte[] content = Files.readAllBytes(p);
        bytes += content.length;
        assertEquals(OptionalLong.empty(), plaintext.firstRunIn(content), p.toString());
      }
    }
    assertTrue(
        bytes > Files.size(sealedA) / 2,
        "the cache holds the chunks read: " + bytes + " of " + Files.size(sealedA) + " bytes");
  }

  static int indexOf(byte[] haystack, byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= haystack.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (haystack[i + j] != needle[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }
}
