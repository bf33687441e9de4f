package dev.cairn.format;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;

/**
 * Fuzz targets for every parser of untrusted snapshot bytes. The property: a parser either returns
 * something that satisfies the invariants it promises, or throws a {@link CairnException} whose
 * message names the source. Any other exception or error (index out of bounds, overflow, out of
 * memory, ...) is a finding.
 *
 * <p>Under plain {@code mvn test} these run in Jazzer's regression mode: once with an empty input
 * and once per file under {@code
 * src/test/resources/dev/cairn/format/FormatFuzzTestInputs/<method>/} (seeds made by {@code
 * FuzzSeeds}, including real snapshots from the writer, plus any crash reproducers Jazzer saved
 * there). To fuzz one target for real:
 *
 * <pre>
 * JAZZER_FUZZ=1 mvn -pl reader-core test -Dtest=FormatFuzzTest#footerParse
 * </pre>
 */
class FormatFuzzTest {
  static final String SOURCE = "fuzz.cairn";

  /** Input: a whole file (or just a header); the header is parsed from its start. */
  @FuzzTest(maxDuration = "2m")
  void headerParse(byte[] data) {
    Header h;
    try {
      h = Header.parse(ByteBuffer.wrap(data), SOURCE);
    } catch (CairnException e) {
      assertNamesSource(e);
      return;
    }
    // What parses re-encodes to something that parses to the same header.
    ByteBuffer again = h.encode();
    try {
      assertEquals(h, Header.parse(again, SOURCE));
    } catch (CairnException e) {
      throw new AssertionError("re-encoded header does not parse: " + e.getMessage(), e);
    }
    assertTrue(h.blockSize() >= 4096 && h.blockSize() <= 1 << 20);
    assertTrue(h.streamNames().stream().allMatch(Header::isValidStreamName));
  }

  /** Input: the first bytes of a file. */
  @FuzzTest(maxDuration = "1m")
  void headerPeekLength(byte[] data) {
    try {
      int length = Header.peekLength(ByteBuffer.wrap(data), SOURCE);
      assertTrue(length >= 124 && length <= Header.MAX_LENGTH, "length " + length);
    } catch (CairnException e) {
      assertNamesSource(e);
    }
  }

  /** Input: a whole file; the trailer is its last 48 bytes (or all of it, if shorter). */
  @FuzzTest(maxDuration = "1m")
  void trailerParse(byte[] data) {
    int from = Math.max(0, data.length - Trailer.LENGTH);
    try {
      Trailer t =
          Trailer.parse(ByteBuffer.wrap(data, from, data.length - from), data.length, SOURCE);
      assertEquals(data.length - Trailer.LENGTH, t.footerOffset() + t.footerLength());
      assertTrue(t.footerOffset() >= 0 && t.footerLength() >= 8);
      Trailer again = Trailer.parse(t.encode(), data.length, SOURCE);
      assertEquals(t, again);
    } catch (CairnException e) {
      assertNamesSource(e);
    }
  }

  /**
   * Input: a 20-byte prefix choosing what the caller would already know, then the footer.
   *
   * <pre>
   *  0  1  bit 0: two streams instead of one
   *  1  1  block size log2 = 12 + (byte % 9)
   *  2  2  entries per page - 1 (little-endian)
   *  4  8  data start (little-endian)
   * 12  8  footer offset (little-endian)
   * 20  …  footer bytes
   * </pre>
   */
  @FuzzTest(maxDuration = "2m")
  void footerParse(byte[] data) {
    if (data.length < 20) {
      return;
    }
    ByteBuffer p = ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
    int streams = 1 + (data[0] & 1);
    int log2 = 12 + Byte.toUnsignedInt(data[1]) % 9;
    int perPage = 1 + Short.toUnsignedInt(p.getShort(2));
    long dataStart = p.getLong(4);
    long footerOffset = p.getLong(12);
    Header header = header(streams, log2, perPage);
    try {
      Footer f =
          Footer.parse(
              ByteBuffer.wrap(data, 20, data.length - 20), header, dataStart, footerOffset, SOURCE);
      assertEquals(streams, f.streams().size());
      for (Footer.StreamLayout s : f.streams()) {
        assertTrue(s.size() >= 0 && s.storedBytes() >= 0);
        assertEquals((s.size() + (1L << log2) - 1) >>> log2, s.blockCount());
        assertEquals((s.blockCount() + perPage - 1) / perPage, s.pageOffsets().length);
        for (long o : s.pageOffsets()) {
          assertTrue(o >= dataStart && o < footerOffset, "page offset " + o);
        }
      }
      Footer again = Footer.parse(f.encode(), header, dataStart, footerOffset, SOURCE);
      assertEquals(f.streams().size(), again.streams().size());
    } catch (CairnException e) {
      assertNamesSource(e);
    }
  }

  /**
   * Input: a 31-byte prefix choosing what the caller would already know, then the page.
   *
   * <pre>
   *  0  1  bit 0: stream index
   *  1  8  first block (little-endian, sign bit cleared)
   *  9  2  entry count - 1 (little-endian)
   * 11  8  data start (little-endian)
   * 19  8  data end (little-endian)
   * 27  4  largest stored length (little-endian, at least 1)
   * 31  …  page bytes
   * </pre>
   */
  @FuzzTest(maxDuration = "2m")
  void indexPageParse(byte[] data) {
    if (data.length < 31) {
      return;
    }
    ByteBuffer p = ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
    int stream = data[0] & 1;
    long firstBlock = p.getLong(1) & Long.MAX_VALUE;
    int count = 1 + Short.toUnsignedInt(p.getShort(9));
    long dataStart = p.getLong(11);
    long dataEnd = p.getLong(19);
    int maxStored = Math.max(1, p.getInt(27) & Integer.MAX_VALUE);
    try {
      IndexPage page =
          IndexPage.parse(
              ByteBuffer.wrap(data, 31, data.length - 31),
              stream,
              firstBlock,
              count,
              dataStart,
              dataEnd,
              maxStored,
              SOURCE,
              "s");
      assertEquals(count, page.count());
      assertEquals(firstBlock, page.firstBlock());
      BlockEntry[] entries = new BlockEntry[count];
      for (int i = 0; i < count; i++) {
        BlockEntry e = page.entry(i);
        entries[i] = e;
        assertEquals(e.kind(), page.kind(i));
        if (e.kind().hasData()) {
          assertTrue(e.storedLength() > 0 && e.storedLength() <= maxStored, e.toString());
          assertTrue(
              e.offset() >= dataStart && e.offset() + e.storedLength() <= dataEnd, e.toString());
        } else {
          assertEquals(0, e.storedLength());
          assertEquals(0, e.offset());
        }
      }
      // Re-encoding what was accepted gives a page that parses to the same entries.
      IndexPage again =
          IndexPage.parse(
              IndexPage.encode(stream, firstBlock, entries, count),
              stream,
              firstBlock,
              count,
              dataStart,
              dataEnd,
              maxStored,
              SOURCE,
              "s");
      for (int i = 0; i < count; i++) {
        assertEquals(entries[i], again.entry(i));
      }
    } catch (CairnException e) {
      assertNamesSource(e);
    }
  }

  static Header header(int streams, int log2, int perPage) {
    return new Header(
        Header.MINOR_VERSION,
        new SnapshotId(1, 2),
        0,
        log2,
        CodecType.LZ4,
        0,
        perPage,
        0,
        0,
        streams == 1 ? List.of("a") : List.of("a", "b"),
        SnapshotId.NONE,
        "",
        Encryption.NONE);
  }

  static void assertNamesSource(CairnException e) {
    assertTrue(e.getMessage().startsWith(SOURCE + ": "), e.getMessage());
    assertTrue(e.getMessage().indexOf('\n') < 0, "one line: " + e.getMessage());
  }
}
