package dev.cairn.testing;

import dev.cairn.format.CodecType;
import dev.cairn.testing.TestData.Kind;
import dev.cairn.write.WriterOptions;
import java.util.List;

/**
 * A small two-stream snapshot with every block kind, several index pages per stream and short last
 * pages and blocks: the file the damage tests take apart.
 */
public final class Fixture {
  public static final String PRIMARY = "disk.img";
  public static final String SECONDARY = "notes.txt";
  public static final int BLOCK = 4096;

  private Fixture() {}

  /** Primary: 14 blocks and a 100-byte tail of text, random, zero and sparse runs. */
  public static byte[] primary() {
    byte[] p = new byte[14 * BLOCK + 100];
    byte[] text = TestData.text(p.length, 11);
    byte[] random = TestData.random(p.length, 12);
    for (int b = 0; b * BLOCK < p.length; b++) {
      int from = b * BLOCK;
      int to = Math.min(p.length, from + BLOCK);
      switch (b % 4) {
        case 0 -> System.arraycopy(text, from, p, from, to - from);
        case 1 -> System.arraycopy(random, from, p, from, to - from);
        case 2 -> {} // zero block
        default -> p[from + 17] = 1; // sparse: one byte set
      }
    }
    return p;
  }

  /** Secondary: 3 blocks and 5 bytes of text. */
  public static byte[] secondary() {
    return TestData.generate(Kind.TEXT, 3 * BLOCK + 5, BLOCK, 13);
  }

  public static WriterOptions options(CodecType codec) {
    return WriterOptions.defaults()
        .withCodec(codec, codec.defaultLevel())
        .withBlockSizeLog2(12)
        .withEntriesPerPage(4)
        .withThreads(2);
  }

  public static Snapshots.Written write(CodecType codec) {
    return Snapshots.write(options(codec), List.of(PRIMARY, SECONDARY), primary(), secondary());
  }
}
