package dev.cairn.golden;

import dev.cairn.format.CodecType;
import dev.cairn.testing.TestData;
import dev.cairn.write.Pack;
import dev.cairn.write.WriterOptions;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
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

  /** The directory of the version this build writes; older ones stay as they were written. */
  public static final String CURRENT = "v1.1";

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
  }
}
