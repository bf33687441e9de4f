package dev.cairn.golden;

import dev.cairn.crypto.KeyRing;
import dev.cairn.crypto.KeySource;
import dev.cairn.format.CodecType;
import dev.cairn.testing.TestData;
import dev.cairn.write.Pack;
import dev.cairn.write.WriterOptions;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Writes the golden snapshots of the current format version and their inputs to {@code
 * testimages/golden/}{@value #CURRENT}. Run once per format version, then commit the output; {@link
 * GoldenFileTest} reads them forever after. Never regenerate the files of a released version: the
 * point is that files written by old versions stay readable.
 *
 * <pre>
 * mvn -pl reader-core test -Dtest=GoldenFiles -Dcairn.golden.write=true -Dsurefire.failIfNoSpecifiedTests=false
 * </pre>
 *
 * <p>The inputs are deterministic; the snapshots are not byte-for-byte reproducible (each has a
 * random id and a creation time), which is why they are committed rather than regenerated.
 */
public final class GoldenFiles {
  public static final String PRIMARY = "disk.img";
  public static final String SECONDARY = "notes.txt";
  public static final int BLOCK_SIZE = 4096;
  public static final String LZ4 = "tiny-lz4.cairn";
  public static final String ZSTD = "tiny-zstd.cairn";

  /** Since 1.2: zstd, sealed under {@link #KEY_FILE}. */
  public static final String ENCRYPTED = "tiny-encrypted.cairn";

  /** Since 1.2: lz4, sealed under {@link #PASSPHRASE} through Argon2id. */
  public static final String PASSPHRASE_ENCRYPTED = "tiny-passphrase.cairn";

  /** The raw 32-byte key of {@link #ENCRYPTED}: bytes 0x00 to 0x1f. */
  public static final String KEY_FILE = "golden.key";

  /** The passphrase of {@link #PASSPHRASE_ENCRYPTED} (public: these files test the format). */
  public static final String PASSPHRASE = "cairn golden passphrase";

  /** The directory of the version this build writes; older ones stay as they were written. */
  public static final String CURRENT = "v1.2";

  /** The key in {@link #KEY_FILE}. */
  public static byte[] key() {
    byte[] k = new byte[32];
    for (int i = 0; i < k.length; i++) {
      k[i] = (byte) i;
    }
    return k;
  }

  /** The keys that open the encrypted golden files of {@code version}'s directory. */
  public static KeyRing keys(String version) throws IOException {
    return KeyRing.of(
        List.of(
            KeySource.KeyFile.read(dir(version).resolve(KEY_FILE)),
            new KeySource.Passphrase(
                "golden passphrase", PASSPHRASE.getBytes(StandardCharsets.UTF_8))));
  }

  /** {@code ../testimages/golden/VERSION}, relative to the reader-core module. */
  public static Path dir(String version) {
    return Path.of(System.getProperty("basedir", "."))
        .toAbsolutePath()
        .resolve("../testimages/golden/" + version)
        .normalize();
  }

  /** Three 4 KiB blocks (text, zeros, random with seed 42) and a 1000-byte text tail. */
  public static byte[] primary() {
    byte[] out = new byte[3 * BLOCK_SIZE + 1000];
    byte[] text = TestData.text(BLOCK_SIZE, 1);
    System.arraycopy(text, 0, out, 0, BLOCK_SIZE);
    byte[] random = new byte[BLOCK_SIZE];
    new Random(42).nextBytes(random);
    System.arraycopy(random, 0, out, 2 * BLOCK_SIZE, BLOCK_SIZE);
    byte[] tail = TestData.text(1000, 2);
    System.arraycopy(tail, 0, out, 3 * BLOCK_SIZE, 1000);
    return out;
  }

  /** A few hundred bytes of text. */
  public static byte[] secondary() {
    return ("Cairn golden snapshot, format v1.\n"
            + "This file is the secondary stream of tiny-lz4.cairn and tiny-zstd.cairn.\n"
            + "The primary stream, disk.img, holds three 4 KiB blocks (text, zeros, random bytes\n"
            + "from java.util.Random(42)) and a 1000-byte tail. Readers of every later version\n"
            + "must read both streams back byte for byte.\n")
        .getBytes(StandardCharsets.UTF_8);
  }

  @Test
  @EnabledIfSystemProperty(named = "cairn.golden.write", matches = "true")
  void write() throws IOException {
    Path dir = Files.createDirectories(dir(CURRENT));
    Path p = dir.resolve(PRIMARY);
    Path s = dir.resolve(SECONDARY);
    Files.write(p, primary());
    Files.write(s, secondary());
    List<Pack.Input> inputs = List.of(new Pack.Input(p, PRIMARY), new Pack.Input(s, SECONDARY));
    WriterOptions base = WriterOptions.defaults().withBlockSizeLog2(12).withThreads(1);
    Pack.run(inputs, dir.resolve(LZ4), base.withCodec(CodecType.LZ4, 0), d -> {});
    Pack.run(inputs, dir.resolve(ZSTD), base.withCodec(CodecType.ZSTD, 3), d -> {});
    Files.write(dir.resolve(KEY_FILE), key());
    KeyRing keys = keys(CURRENT);
    SecureRandom random = new SecureRandom();
    Pack.run(
        inputs,
        dir.resolve(ENCRYPTED),
        base.withCodec(CodecType.ZSTD, 3).withSealing(keys.newSealing(random)),
        d -> {});
    KeyRing passphrase = KeyRing.of(List.of(keys.sources().get(1)));
    Pack.run(
        inputs,
        dir.resolve(PASSPHRASE_ENCRYPTED),
        base.withCodec(CodecType.LZ4, 0).withSealing(passphrase.newSealing(random)),
        d -> {});
  }
}
