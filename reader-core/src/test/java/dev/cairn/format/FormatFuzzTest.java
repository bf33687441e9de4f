package dev.cairn.format;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.cairn.error.CairnException;
import java.nio.ByteBuffer;

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

  /** Input: see {@link FormatSeeds.FooterInput}: what the caller knows, then the footer. */
  @FuzzTest(maxDuration = "2m")
  void footerParse(byte[] data) {
    FormatSeeds.FooterInput in = FormatSeeds.FooterInput.decode(data);
    if (in == null) {
      return;
    }
    int log2 = in.header().blockSizeLog2();
    int perPage = in.header().entriesPerPage();
    try {
      Footer f = in.parse(SOURCE);
      assertEquals(in.header().streamNames().size(), f.streams().size());
      for (Footer.StreamLayout s : f.streams()) {
        assertTrue(s.size() >= 0 && s.storedBytes() >= 0);
        assertEquals((s.size() + (1L << log2) - 1) >>> log2, s.blockCount());
        assertEquals((s.blockCount() + perPage - 1) / perPage, s.pageOffsets().length);
        for (long o : s.pageOffsets()) {
          assertTrue(o >= in.dataStart() && o < in.footerOffset(), "page offset " + o);
        }
      }
      Footer again =
          Footer.parse(f.encode(), in.header(), in.dataStart(), in.footerOffset(), SOURCE);
      assertEquals(f.streams().size(), again.streams().size());
    } catch (CairnException e) {
      assertNamesSource(e);
    }
  }

  /** Input: see {@link FormatSeeds.PageInput}: what the caller knows, then the page. */
  @FuzzTest(maxDuration = "2m")
  void indexPageParse(byte[] data) {
    FormatSeeds.PageInput in = FormatSeeds.PageInput.decode(data);
    if (in == null) {
      return;
    }
    int count = in.count();
    try {
      IndexPage page = in.parse(SOURCE);
      assertEquals(count, page.count());
      assertEquals(in.firstBlock(), page.firstBlock());
      BlockEntry[] entries = new BlockEntry[count];
      for (int i = 0; i < count; i++) {
        BlockEntry e = page.entry(i);
        entries[i] = e;
        assertEquals(e.kind(), page.kind(i));
        if (e.kind().hasData()) {
          assertTrue(e.storedLength() > 0 && e.storedLength() <= in.maxStored(), e.toString());
          assertTrue(
              e.offset() >= in.dataStart() && e.offset() + e.storedLength() <= in.dataEnd(),
              e.toString());
        } else {
          assertEquals(0, e.storedLength());
          assertEquals(0, e.offset());
        }
      }
      // Re-encoding what was accepted gives a page that parses to the same entries.
      byte[] again =
          FormatSeeds.PageInput.encode(
              in.stream(),
              in.firstBlock(),
              count,
              in.dataStart(),
              in.dataEnd(),
              in.maxStored(),
              IndexPage.encode(in.stream(), in.firstBlock(), entries, count));
      IndexPage reparsed = FormatSeeds.PageInput.decode(again).parse(SOURCE);
      for (int i = 0; i < count; i++) {
        assertEquals(entries[i], reparsed.entry(i));
      }
    } catch (CairnException e) {
      assertNamesSource(e);
    }
  }

  static void assertNamesSource(CairnException e) {
    assertTrue(e.getMessage().startsWith(SOURCE + ": "), e.getMessage());
    assertTrue(e.getMessage().indexOf('\n') < 0, "one line: " + e.getMessage());
  }
}
