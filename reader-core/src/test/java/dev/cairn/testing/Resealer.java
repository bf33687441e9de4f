package dev.cairn.testing;

import dev.cairn.format.BlockEntry;
import dev.cairn.format.Footer;
import dev.cairn.format.Header;
import dev.cairn.format.IndexPage;
import dev.cairn.format.Trailer;
import java.nio.ByteBuffer;

/**
 * Recomputes every checksum of a (mutated) snapshot file in place, as far as its structure can be
 * followed: block CRCs in index entries, index page CRCs, the dictionary CRC, the header CRC, the
 * footer CRC and the trailer CRC. A fuzzer's random mutations almost never pass a CRC; resealed,
 * they reach the range checks, decompressors and read paths behind the checksums. Best effort and
 * total: it never throws, and does work bounded by the file's size.
 */
public final class Resealer {
  private Resealer() {}

  public static void reseal(byte[] f) {
    if (f.length < Header.PREFIX_LENGTH + Trailer.LENGTH) {
      return;
    }
    int headerLength = Snapshots.getIntLe(f, 12);
    if (headerLength < 124 || headerLength > Math.min(Header.MAX_LENGTH, f.length)) {
      return;
    }
    int dictLength = Snapshots.getIntLe(f, 52);
    if (dictLength > 0 && (long) headerLength + dictLength <= f.length) {
      Snapshots.putIntLe(f, 56, Snapshots.crc(f, headerLength, headerLength + dictLength));
    }
    Snapshots.resealHeader(f);
    Header header;
    try {
      header = Header.parse(ByteBuffer.wrap(f, 0, headerLength), "reseal");
    } catch (Exception e) {
      return;
    }
    int t = f.length - Trailer.LENGTH;
    long footerOffset = Snapshots.getLongLe(f, t + 8);
    int footerLength = Snapshots.getIntLe(f, t + 16);
    if (footerOffset < 0 || footerLength < 8 || footerOffset + footerLength != t) {
      Snapshots.resealTrailer(f);
      return;
    }
    Snapshots.resealFooter(f);
    long dataStart = (long) headerLength + Math.max(0, header.dictionaryLength());
    Footer footer;
    try {
      footer =
          Footer.parse(
              ByteBuffer.wrap(f, (int) footerOffset, footerLength),
              header,
              dataStart,
              footerOffset,
              "reseal");
    } catch (Exception e) {
      return;
    }
    int perPage = header.entriesPerPage();
    for (Footer.StreamLayout s : footer.streams()) {
      long[] pages = s.pageOffsets();
      for (int p = 0; p < pages.length; p++) {
        int count = (int) Math.min(perPage, s.blockCount() - (long) p * perPage);
        int len = IndexPage.encodedLength(count);
        if (pages[p] + len > footerOffset) {
          continue; // resealing it would change the footer
        }
        int at = (int) pages[p];
        for (int i = 0; i < count; i++) {
          int e = at + IndexPage.HEADER_LENGTH + i * BlockEntry.LENGTH;
          int stored = Snapshots.getIntLe(f, e + 4);
          long offset = Snapshots.getLongLe(f, e + 8);
          if (stored > 0 && offset >= 0 && offset + stored <= f.length) {
            Snapshots.putIntLe(f, e + 16, Snapshots.crc(f, (int) offset, (int) offset + stored));
          }
        }
        Snapshots.resealPage(f, at, count);
      }
    }
    // Pages may overlap the header or each other's blocks; seal the ends once more.
    Snapshots.resealHeader(f);
    Snapshots.resealFooter(f);
  }
}
