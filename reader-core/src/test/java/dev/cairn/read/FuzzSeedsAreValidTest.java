package dev.cairn.read;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cairn.error.CairnException;
import dev.cairn.error.CorruptSnapshotException;
import dev.cairn.error.UnsupportedSnapshotException;
import dev.cairn.format.Footer;
import dev.cairn.format.FormatSeeds;
import dev.cairn.format.Header;
import dev.cairn.format.IndexPage;
import dev.cairn.format.Trailer;
import dev.cairn.testing.Resealer;
import dev.cairn.testing.Snapshots;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The committed fuzz seeds still reach the code behind the parsers: the valid ones parse and read
 * completely, so the regression runs of the fuzz targets exercise real paths, not just the first
 * check. Also checks that {@link Resealer} leaves a valid snapshot valid.
 */
class FuzzSeedsAreValidTest {
  static final String SNAPSHOTS = "/dev/cairn/read/SnapshotFuzzTestInputs/";

  @ParameterizedTest
  @ValueSource(
      strings = {
        "lz4-two-streams",
        "zstd-mixed",
        "none-raw",
        "empty-streams",
        "one-page",
        "zstd-dictionary"
      })
  void validSnapshotSeedsOpenAndVerify(String name) throws IOException {
    byte[] f = resource(SNAPSHOTS + name);
    check(f, name);
    byte[] resealed = f.clone();
    Resealer.reseal(resealed);
    assertTrue(Arrays.equals(f, resealed), "resealing a valid snapshot changes nothing");
  }

  static void check(byte[] f, String name) throws IOException {
    try (Snapshot snap = Snapshots.open(f, name)) {
      for (StreamReader s : snap.streams()) {
        Snapshots.readAll(s);
      }
      Verifier.Report r = new Verifier(snap).run(d -> {});
      assertTrue(r.ok(), r.problems().toString());
    }
  }

  @Test
  void thinSeedOpensButItsInheritedBlocksNeedTheParent() throws IOException {
    byte[] f = resource(SNAPSHOTS + "thin-with-parent-blocks");
    try (Snapshot snap = Snapshots.open(f, "thin")) {
      assertTrue(snap.header().hasParent());
      StreamReader s = snap.stream(0);
      s.read(0, ByteBuffer.allocate(4096)); // block 0 is its own
      CorruptSnapshotException e =
          assertThrows(CorruptSnapshotException.class, () -> s.read(4096, ByteBuffer.allocate(1)));
      assertEquals(1, e.block());
    }
  }

  @Test
  void truncatedSeedIsRefused() throws IOException {
    byte[] f = resource(SNAPSHOTS + "truncated");
    assertThrows(CorruptSnapshotException.class, () -> Snapshots.open(f, "t"));
  }

  @Test
  void formatSeedsParse() throws IOException, CairnException {
    String dir = "/dev/cairn/format/FormatFuzzTestInputs/";
    for (String h : new String[] {"lz4-header", "whole-file", "dictionary-header", "thin-header"}) {
      assertNotNull(Header.parse(ByteBuffer.wrap(resource(dir + "headerParse/" + h)), h));
    }
    // A 1.0 header with encryption fields (written before 1.2 defined them): refused by version.
    UnsupportedSnapshotException e =
        assertThrows(
            UnsupportedSnapshotException.class,
            () ->
                Header.parse(
                    ByteBuffer.wrap(resource(dir + "headerParse/encrypted-header")), "enc"));
    assertEquals(
        "enc: invalid snapshot: encryption needs format 1.2, the header says 1.0", e.getMessage());
    assertTrue(Header.peekLength(ByteBuffer.wrap(resource(dir + "headerPeekLength/v1")), "v1") > 0);
    for (String t : new String[] {"lz4-file", "empty-streams-file"}) {
      byte[] f = resource(dir + "trailerParse/" + t);
      Trailer.parse(ByteBuffer.wrap(f, f.length - 48, 48), f.length, t);
    }
    for (String name : new String[] {"two-streams", "one-stream-many-pages", "empty-streams"}) {
      Footer footer = FormatSeeds.parseFooterSeed(resource(dir + "footerParse/" + name));
      assertNotNull(footer);
    }
    for (String name :
        new String[] {"lz4-page0", "lz4-last-page", "lz4-secondary-page1", "one-page-of-7"}) {
      IndexPage page = FormatSeeds.parsePageSeed(resource(dir + "indexPageParse/" + name));
      assertTrue(page.count() > 0);
    }
  }

  static byte[] resource(String path) throws IOException {
    try (InputStream in = FuzzSeedsAreValidTest.class.getResourceAsStream(path)) {
      assertNotNull(in, "missing seed " + path);
      return in.readAllBytes();
    }
  }
}
