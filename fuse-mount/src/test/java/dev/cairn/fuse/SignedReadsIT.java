package dev.cairn.fuse;

import static dev.cairn.fuse.MountSupport.cairn;
import static dev.cairn.fuse.MountSupport.cleanUp;
import static dev.cairn.fuse.MountSupport.umount;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cairn.fixture.Nginx;
import dev.cairn.testing.Forger;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Signed snapshots served by a real nginx, read with {@code --trust} through the real CLI and the
 * real kernel, against an attacker who rewrites the served file: a data block, an index page, the
 * header or the footer changed with every CRC32C and content hash recomputed ({@link Forger}), so
 * that {@code verify} without {@code --trust} passes and only the signature can tell. With {@code
 * --trust}, the altered block's reads fail with EIO in a mount (one log line) and {@code
 * verify}/{@code cat} exit 1 naming the block, while untouched blocks read; a forged header or
 * footer, a different snapshot of the same size, and an unsigned one are refused at mount time.
 */
class SignedReadsIT {
  private static final int BLOCK = 16 << 10;
  private static final int MIB = 1 << 20;

  @TempDir static Path shared;
  static Path www;
  static Nginx nginx;
  static Path signerKey;
  static Path signerPub;
  static Path otherKey;
  static byte[] input;
  static Path genuine; // the signed snapshot as packed (kept outside www)

  @TempDir Path dir;
  Path mnt;

  /**
   * 24 MiB: 8 MiB of text (compressed blocks), then 16 MiB of random bytes (raw blocks), packed in
   * 16 KiB blocks, so stream 0 has two index pages (blocks 0..1023 and 1024..1535).
   */
  @BeforeAll
  static void packAndServe() throws Exception {
    MountSupport.requireFuse();
    input = input(1);
    signerKey = keygen("signer");
    signerPub = shared.resolve("signer.pub");
    otherKey = keygen("other");
    genuine = pack(input, shared.resolve("genuine/disk.cairn"), signerKey);
    www = Files.createDirectories(shared.resolve("www"));
    nginx = Nginx.serve(www, Files.createDirectories(shared.resolve("nginx")));
  }

  @AfterAll
  static void stopNginx() throws Exception {
    if (nginx != null) {
      nginx.close();
    }
  }

  @AfterEach
  void tearDown() {
    cleanUp(mnt);
  }

  private static byte[] input(long seed) throws IOException {
    ByteArrayOutputStream text = new ByteArrayOutputStream();
    List<Path> licenses;
    try (Stream<Path> s = Files.list(Path.of("/usr/share/common-licenses"))) {
      licenses = s.filter(Files::isRegularFile).sorted().toList();
    }
    while (text.size() < 8 * MIB) {
      for (Path p : licenses) {
        text.writeBytes(Files.readAllBytes(p));
      }
    }
    byte[] data = Arrays.copyOf(text.toByteArray(), 24 * MIB);
    byte[] random = new byte[16 * MIB];
    new Random(seed).nextBytes(random);
    System.arraycopy(random, 0, data, 8 * MIB, random.length);
    return data;
  }

  private static Path keygen(String name) throws Exception {
    cairn("keygen", "-o", shared.resolve(name).toString()).ok();
    return shared.resolve(name + ".key");
  }

  /** Packs {@code data} as {@code disk.img} in 16 KiB blocks, signed by {@code key} if not null. */
  private static Path pack(byte[] data, Path out, Path key) throws Exception {
    Files.createDirectories(out.getParent());
    Path in = Files.write(out.resolveSibling("disk.img"), data);
    List<String> args =
        new ArrayList<>(
            List.of("pack", in.toString(), "-o", out.toString(), "--block-size", "16K"));
    if (key != null) {
      args.addAll(List.of("--sign", key.toString()));
    }
    cairn(args.toArray(String[]::new)).ok();
    Files.delete(in);
    return out;
  }

  /** Serves a copy of the genuine snapshot and its signature as {@code NAME.cairn}, forged. */
  private static String serveForged(String name, Consumer<Forger> forgery) throws IOException {
    byte[] file = Files.readAllBytes(genuine);
    forgery.accept(Forger.of(file));
    Files.write(www.resolve(name + ".cairn"), file);
    Files.copy(
        Path.of(genuine + ".sig"),
        www.resolve(name + ".cairn.sig"),
        StandardCopyOption.REPLACE_EXISTING);
    return nginx.url(name + ".cairn");
  }

  private Map<String, String> freshCache() throws IOException {
    return Map.of(
        "CAIRN_CACHE_DIR",
        Files.createDirectories(dir.resolve("cache-" + System.nanoTime())).toString());
  }

  private MountSupport.Run mount(Map<String, String> env, String url, String... extra)
      throws Exception {
    mnt = Files.createDirectories(dir.resolve("mnt"));
    List<String> args = new ArrayList<>(List.of("mount", url, mnt.toString()));
    args.addAll(Arrays.asList(extra));
    return cairn(env, args.toArray(String[]::new));
  }

  private static byte[] read(Path file, long at, int length) throws IOException {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      ByteBuffer b = ByteBuffer.allocate(length);
      while (b.hasRemaining()) {
        if (ch.read(b, at + b.position()) < 0) {
          break;
        }
      }
      return Arrays.copyOf(b.array(), b.position());
    }
  }

  private static byte[] catBytes(Map<String, String> env, String url, long at, int length)
      throws Exception {
    MountSupport.Raw cat =
        MountSupport.cairnRaw(env, "cat", url, "--offset", "" + at, "--length", "" + length);
    assertEquals(0, cat.exit(), cat.err());
    return cat.out();
  }

  private static byte[] expected(long at, int length) {
    return Arrays.copyOfRange(input, (int) at, (int) at + length);
  }

  /**
   * Without --trust the forgery passes every check a snapshot has of its own: only a signature can
   * tell.
   */
  private static void assertOnlyTheSignatureCanTell(String url, Map<String, String> env)
      throws Exception {
    MountSupport.Run plain = cairn(env, "verify", url);
    assertEquals(0, plain.exit(), "the forgery passes verify without --trust:\n" + plain.err());
  }

  @Test
  void aDataBlockForgedUnderItsCrcIsEioInATrustedMountAndNamedByVerifyAndCat() throws Exception {
    long block = 12 * MIB / BLOCK; // in the random region: stored raw
    byte[] other = new byte[BLOCK];
    new Random(99).nextBytes(other);
    String url = serveForged("block", f -> f.replaceRawBlockUnderItsCrc(block, other));
    Map<String, String> env = freshCache();
    byte[] served = catBytes(env, url, block * BLOCK, BLOCK);
    assertArrayEquals(
        Arrays.copyOf(other, BLOCK - 4),
        Arrays.copyOf(served, BLOCK - 4),
        "without --trust the forged bytes pass the CRC and are served: what a signature stops");

    // where its stored bytes start inside a 4 KiB chunk that block 767's end in, the first block
    // that fails is 767
    long first =
        Forger.of(Files.readAllBytes(genuine)).storedOffset(block) % 4096 == 0 ? block : block - 1;
    MountSupport.Run verify = cairn(env, "verify", url, "--trust", signerPub.toString());
    assertEquals(1, verify.exit(), verify.err() + verify.out());
    assertTrue(verify.err().contains("block " + first + ":"), verify.err());
    assertTrue(verify.err().contains("signed digest"), verify.err());
    cairn(env, "cat", url, "--trust", signerPub.toString()).fails(1, "block " + first + ":");

    mount(env, url, "--trust", signerPub.toString()).ok();
    Path disk = mnt.resolve("disk.img");
    IOException eio = assertThrows(IOException.class, () -> read(disk, block * BLOCK, BLOCK));
    assertTrue(eio.getMessage().contains("Input/output error"), eio.getMessage());
    MountSupport.assertWarned(mnt, "block " + block + ":", "signed digest");
    // every block whose stored bytes share no 4 KiB chunk with the forged one reads (its
    // neighbours are raw 16 KiB blocks, so the ones next but one share none)
    long before = (block - 1) * BLOCK;
    assertArrayEquals(expected(0, (int) before), read(disk, 0, (int) before));
    long after = (block + 2) * BLOCK;
    assertArrayEquals(
        expected(after, (int) (input.length - after)),
        read(disk, after, (int) (input.length - after)));
    umount(mnt);
  }

  @Test
  void aDataBlockForgedWithItsIndexEntryResealedFailsTheBlocksOfThatIndexPage() throws Exception {
    long block = 12 * MIB / BLOCK;
    byte[] other = new byte[BLOCK];
    new Random(98).nextBytes(other);
    String url = serveForged("resealed", f -> f.replaceRawBlock(block, other));
    Map<String, String> env = freshCache();
    assertOnlyTheSignatureCanTell(url, env);
    assertArrayEquals(other, catBytes(env, url, block * BLOCK, BLOCK));

    MountSupport.Run verify = cairn(env, "verify", url, "--trust", signerPub.toString());
    assertEquals(1, verify.exit(), verify.err() + verify.out());
    assertTrue(verify.err().contains("index page 0 of blocks 0..1023"), verify.err());
    mount(env, url, "--trust", signerPub.toString()).ok();
    Path disk = mnt.resolve("disk.img");
    assertThrows(IOException.class, () -> read(disk, block * BLOCK, BLOCK));
    assertPageOneReads(disk);
    umount(mnt);
  }

  /**
   * Blocks 1025.. (index page 1) read. Block 1024's stored bytes start in the 4 KiB chunk that
   * holds the end of index page 0, whose CRC a forger of page 0 rewrites.
   */
  private static void assertPageOneReads(Path disk) throws IOException {
    long from = 1025L * BLOCK;
    assertArrayEquals(
        expected(from, (int) (input.length - from)), read(disk, from, (int) (input.length - from)));
  }

  @Test
  void aForgedIndexPageFailsTheBlocksItDescribesAndNoOthers() throws Exception {
    long a = 600;
    long b = 700; // both raw, both on index page 0
    String url = serveForged("index", f -> f.swapEntries(a, b));
    Map<String, String> env = freshCache();
    assertOnlyTheSignatureCanTell(url, env);
    assertArrayEquals(
        expected(b * BLOCK, BLOCK),
        catBytes(env, url, a * BLOCK, BLOCK),
        "without --trust block " + a + " reads as block " + b);

    MountSupport.Run verify = cairn(env, "verify", url, "--trust", signerPub.toString());
    assertEquals(1, verify.exit(), verify.err() + verify.out());
    assertTrue(verify.err().contains("index page 0"), verify.err());
    cairn(env, "cat", url, "--trust", signerPub.toString()).fails(1, "index page 0");

    mount(env, url, "--trust", signerPub.toString()).ok();
    Path disk = mnt.resolve("disk.img");
    for (long block : new long[] {a, b, 0, 1023}) {
      assertThrows(IOException.class, () -> read(disk, block * BLOCK, 4096), "block " + block);
    }
    MountSupport.assertWarned(mnt, "index page 0", "signed digest");
    assertPageOneReads(disk);
    umount(mnt);
  }

  @Test
  void aForgedHeaderOrFooterIsRefusedAtMountTime() throws Exception {
    Map<String, Consumer<Forger>> forgeries =
        Map.of(
            "header", f -> f.shiftCreationTime(86_400_000L),
            "footer", f -> f.changeFooterStoredBytes(-4096));
    for (Map.Entry<String, Consumer<Forger>> forgery : forgeries.entrySet()) {
      String url = serveForged(forgery.getKey(), forgery.getValue());
      Map<String, String> env = freshCache();
      assertOnlyTheSignatureCanTell(url, env);
      cairn(env, "verify", url, "--trust", signerPub.toString()).fails(1, "signed digest");
      cairn(env, "cat", url, "--trust", signerPub.toString()).fails(1, "signed digest");
      mount(env, url, "--trust", signerPub.toString()).fails(1, "signed digest");
      assertTrue(MountTable.find(mnt.toRealPath()).isEmpty(), forgery.getKey());
    }
  }

  @Test
  void anotherSnapshotOfTheSameSizeInPlaceOfTheOriginalIsRefused() throws Exception {
    Path impostor = pack(input(2), dir.resolve("impostor/disk.cairn"), otherKey);
    assertEquals(Files.size(genuine), Files.size(impostor), "an impostor of the same size");
    Files.copy(impostor, www.resolve("swap.cairn"), StandardCopyOption.REPLACE_EXISTING);
    String url = nginx.url("swap.cairn");

    // the genuine signature beside it, then its own valid signature by a key not trusted
    assertRefusedWith(Path.of(genuine + ".sig"), url, "its signature is for snapshot ");
    assertRefusedWith(Path.of(impostor + ".sig"), url, "which is not trusted");

    // the impostor's signer, trusted, reads it: the refusals above were about trust, not the file
    MountSupport.Run ok =
        cairn(freshCache(), "verify", url, "--trust", shared.resolve("other.pub").toString());
    assertEquals(0, ok.exit(), ok.err());
  }

  /**
   * With {@code sig} served beside the snapshot, a mount and a cat are refused with {@code why}.
   */
  private void assertRefusedWith(Path sig, String url, String why) throws Exception {
    Files.copy(sig, www.resolve("swap.cairn.sig"), StandardCopyOption.REPLACE_EXISTING);
    String trust = signerPub.toString();
    mount(freshCache(), url, "--trust", trust).fails(1, why);
    cairn(freshCache(), "cat", url, "--trust", trust).fails(1, why);
    assertTrue(MountTable.find(mnt.toRealPath()).isEmpty());
  }

  @Test
  void anUnsignedSnapshotIsRefusedWithTrustAndReadsAsBeforeWithout() throws Exception {
    Path unsigned = pack(input, dir.resolve("unsigned/disk.cairn"), null);
    Files.copy(unsigned, www.resolve("unsigned.cairn"), StandardCopyOption.REPLACE_EXISTING);
    String url = nginx.url("unsigned.cairn");
    MountSupport.Run refused = mount(freshCache(), url, "--trust", signerPub.toString());
    refused.fails(1, "not signed (no " + url + ".sig), and --trust requires a signature by key ");
    cairn(freshCache(), "verify", url, "--trust", signerPub.toString()).fails(1, "not signed");

    mount(freshCache(), url).ok();
    assertArrayEquals(input, Files.readAllBytes(mnt.resolve("disk.img")));
    umount(mnt);
  }

  /**
   * A trusted mount of a local snapshot keeps the checked stored bytes of the blocks it reads in
   * pieces: reading another page of each of 64 text blocks later (direct I/O, so neither the page
   * cache nor read-ahead stands between) decodes them from those bytes, and every byte is right.
   */
  @Test
  void aTrustedMountDecodesBlocksReadAgainFromTheCheckedBytesItKept() throws Exception {
    Path local = Files.createDirectories(dir.resolve("local"));
    Path snap = Files.copy(genuine, local.resolve("disk.cairn"));
    Files.copy(Path.of(genuine + ".sig"), local.resolve("disk.cairn.sig"));
    mount(freshCache(), snap.toString(), "--trust", signerPub.toString()).ok();
    Path disk = mnt.resolve("disk.img");
    int blocks = 64; // of text, stored compressed; more than the 32 a mount takes as read lately
    for (int page : new int[] {0, 2}) {
      for (int b = 0; b < blocks; b++) {
        long at = (long) b * BLOCK + page * 4096L;
        assertArrayEquals(expected(at, 4096), directRead(disk, at), "block " + b + " page " + page);
      }
    }
    JsonNode st = new ObjectMapper().readTree(Files.readAllBytes(mnt.resolve(".cairn/stats.json")));
    assertEquals(0, st.get("errors").asLong(), st.toString());
    assertTrue(st.get("stored_hits").asLong() >= blocks, st.toString());
    umount(mnt);
  }

  /** 4 KiB at {@code at}, read with {@code O_DIRECT} by dd (Java's direct reads need alignment). */
  private static byte[] directRead(Path file, long at) throws Exception {
    Process p =
        new ProcessBuilder(
                "dd",
                "if=" + file,
                "iflag=direct",
                "bs=4096",
                "skip=" + (at / 4096),
                "count=1",
                "status=none")
            .redirectError(ProcessBuilder.Redirect.DISCARD)
            .start();
    byte[] out = p.getInputStream().readAllBytes();
    assertEquals(0, p.waitFor(), "dd at " + at);
    return out;
  }

  @Test
  void theGenuineSnapshotVerifiesAndReadsEveryByteThroughATrustedMount() throws Exception {
    Files.copy(genuine, www.resolve("genuine.cairn"), StandardCopyOption.REPLACE_EXISTING);
    Files.copy(
        Path.of(genuine + ".sig"),
        www.resolve("genuine.cairn.sig"),
        StandardCopyOption.REPLACE_EXISTING);
    String url = nginx.url("genuine.cairn");
    Map<String, String> env = freshCache();
    MountSupport.Run verify = cairn(env, "verify", url, "--trust", signerPub.toString()).ok();
    assertTrue(verify.out().contains(", signed by trusted key "), verify.out());
    mount(env, url, "--trust", signerPub.toString()).ok();
    assertArrayEquals(input, Files.readAllBytes(mnt.resolve("disk.img")));
    umount(mnt);
  }
}
