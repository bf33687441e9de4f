package dev.cairn.testing;

import dev.cairn.testing.TestData.Kind;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * What the committed seed snapshots of {@code SnapshotFuzzTest} hold, stream by stream: the inputs
 * {@code FuzzSeeds} packs them from, so the fuzz test can compare what it reads with the truth. The
 * inputs are deterministic (seeded generators); the snapshots are not (random ids), so the test
 * recognises a seed by comparing the input with the committed file. Immutable.
 */
public final class FuzzSeedContent {
  private FuzzSeedContent() {}

  /** 4 KiB blocks, 2 entries per page. */
  public static final byte[] TEXT = TestData.text(3 * 4096 + 500, 1);

  public static final byte[] MIXED = TestData.generate(Kind.MIXED, 6 * 4096 + 77, 4096, 2);

  public static final byte[] RAW = Arrays.copyOf(TEXT, 5000);

  /**
   * Each valid seed's streams. A seed may still hold blocks that cannot be read: inherited blocks
   * of the thin seed (its parent does not exist) and the damaged block of {@code lz4-damaged-block}
   * (stored bytes that fail their CRC); everything else must read back exactly.
   */
  public static final Map<String, List<byte[]>> STREAMS =
      Map.of(
          "lz4-two-streams", List.of(MIXED, TEXT),
          "lz4-damaged-block", List.of(MIXED, TEXT),
          "zstd-mixed", List.of(MIXED),
          "none-raw", List.of(RAW),
          "empty-streams", List.of(new byte[0], new byte[0]),
          "one-page", List.of(MIXED),
          "zstd-dictionary", List.of(TEXT),
          "thin-with-parent-blocks", List.of(TEXT));

  /** Seeds that must be refused at open. */
  public static final List<String> REFUSED = List.of("truncated");
}
