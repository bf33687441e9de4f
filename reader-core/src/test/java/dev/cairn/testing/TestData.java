package dev.cairn.testing;

import com.dynatrace.hash4j.hashing.HashValue128;
import com.dynatrace.hash4j.hashing.Hashing;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.Random;

/** Deterministic test inputs of the kinds a snapshot meets in practice. */
public final class TestData {
  private TestData() {}

  /** The kinds of content the round-trip tests use. */
  public enum Kind {
    /** Incompressible: every block becomes RAW. */
    RANDOM,
    /** Words and lines: compresses well. */
    TEXT,
    /** All zeros: every block becomes ZERO. */
    ZEROS,
    /** Mostly zeros, with small islands of random bytes: ZERO blocks next to data blocks. */
    SPARSE,
    /** Runs of all of the above, of lengths that ignore block boundaries. */
    MIXED
  }

  private static final String[] WORDS = {
    "the", "snapshot", "block", "index", "page", "cairn", "mount", "fuse", "zstd", "lz4",
    "overlay", "commit", "parent", "stream", "header", "trailer", "footer", "of", "a", "and",
    "to", "in", "disk", "image", "kernel", "ext4", "inode", "extent", "journal", "superblock"
  };

  public static byte[] generate(Kind kind, int size, int blockSize, long seed) {
    Random r = new Random(seed);
    byte[] out = new byte[size];
    switch (kind) {
      case RANDOM -> r.nextBytes(out);
      case TEXT -> fillText(out, 0, size, r);
      case ZEROS -> {}
      case SPARSE -> fillSparse(out, 0, size, blockSize, r);
      case MIXED -> {
        int pos = 0;
        int turn = r.nextInt(4);
        while (pos < size) {
          // Runs of 0.3 to 2.5 blocks, so that some runs cover whole blocks and some do not.
          int run = (int) Math.min(size - pos, blockSize * (0.3 + 2.2 * r.nextDouble()) + 1);
          switch (turn++ % 4) {
            case 0 -> {
              byte[] b = new byte[run];
              r.nextBytes(b);
              System.arraycopy(b, 0, out, pos, run);
            }
            case 1 -> fillText(out, pos, pos + run, r);
            case 2 -> {} // zeros
            default -> fillSparse(out, pos, pos + run, blockSize, r);
          }
          pos += run;
        }
      }
    }
    return out;
  }

  public static byte[] random(int size, long seed) {
    return generate(Kind.RANDOM, size, 4096, seed);
  }

  public static byte[] text(int size, long seed) {
    return generate(Kind.TEXT, size, 4096, seed);
  }

  private static void fillText(byte[] out, int from, int to, Random r) {
    int pos = from;
    int col = 0;
    while (pos < to) {
      byte[] w = WORDS[r.nextInt(WORDS.length)].getBytes(StandardCharsets.US_ASCII);
      for (int i = 0; i < w.length && pos < to; i++) {
        out[pos++] = w[i];
      }
      col += w.length + 1;
      if (pos < to) {
        out[pos++] = (byte) (col > 72 ? '\n' : ' ');
        if (col > 72) {
          col = 0;
        }
      }
    }
  }

  private static void fillSparse(byte[] out, int from, int to, int blockSize, Random r) {
    // On average one island per three blocks: some blocks stay entirely zero.
    int islands = Math.max(1, (to - from) / Math.max(1, blockSize * 3));
    for (int i = 0; i < islands; i++) {
      int len = 1 + r.nextInt(64);
      int at = from + r.nextInt(Math.max(1, to - from));
      for (int j = at; j < Math.min(to, at + len); j++) {
        out[j] = (byte) (1 + r.nextInt(255));
      }
    }
  }

  /**
   * The content hash new snapshots store: XXH3-128 in canonical form, computed here straight with
   * hash4j rather than through the production hasher.
   */
  public static byte[] contentHash(byte[] data, int from, int to) {
    HashValue128 h = Hashing.xxh3_128().hashBytesTo128Bits(data, from, to - from);
    return ByteBuffer.allocate(16)
        .putLong(h.getMostSignificantBits())
        .putLong(h.getLeastSignificantBits())
        .array();
  }

  /** The content hash format 1.0 stored: the first 16 bytes of SHA-256. */
  public static byte[] sha256Hash(byte[] data, int from, int to) {
    try {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      md.update(data, from, to - from);
      return Arrays.copyOf(md.digest(), 16);
    } catch (NoSuchAlgorithmException e) {
      throw new AssertionError(e);
    }
  }

  public static boolean allZero(byte[] data, int from, int to) {
    for (int i = from; i < to; i++) {
      if (data[i] != 0) {
        return false;
      }
    }
    return true;
  }
}
