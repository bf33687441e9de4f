package dev.cairn.read;

import dev.cairn.format.Footer;
import dev.cairn.format.Header;
import dev.cairn.source.ByteSource;
import java.io.IOException;

/**
 * What can be said about a snapshot file without its key: the header (which is plaintext) and the
 * footer's stream sizes and stored bytes. For {@code cairn info} on an encrypted snapshot when no
 * key is given; everything else opens a {@link Snapshot}.
 *
 * <p>The footer of an encrypted snapshot is plaintext but authenticated only by the tag under the
 * snapshot's key: this read checks its structure and CRC32C, which catch damage but not deliberate
 * tampering, so its numbers are <em>not verified</em> ({@link #verified()} is false for an
 * encrypted snapshot). Index pages and blocks are sealed and not read at all. A plain snapshot's
 * summary holds exactly what opening it would check of the header and footer.
 *
 * @param header the validated header
 * @param footer the footer, parsed and cross-checked against the header and the file's geometry
 * @param fileSize the file's size in bytes
 * @param dataStart where block data begins (after the header and dictionary)
 */
public record SnapshotSummary(Header header, Footer footer, long fileSize, long dataStart) {

  /**
   * Reads the header, trailer and footer of the snapshot in {@code source} (which the caller keeps
   * and closes); never needs a key.
   */
  public static SnapshotSummary read(ByteSource source) throws IOException {
    Snapshot.HeaderAt at = Snapshot.locateHeader(source);
    Header header = at.header();
    long dataStart = at.length() + (long) header.dictionaryLength();
    Snapshot.Tail tail = Snapshot.readTail(source, header, dataStart);
    Footer footer =
        Footer.parse(
            tail.footer(header.encryption().enabled()),
            header,
            dataStart,
            tail.trailer().footerOffset(),
            source.describe());
    return new SnapshotSummary(header, footer, source.size(), dataStart);
  }

  /**
   * Whether these numbers are as checked as an opened snapshot's: true for a plain snapshot
   * (opening checks the same checksums), false for an encrypted one (opening also checks the tag).
   */
  public boolean verified() {
    return !header.encryption().enabled();
  }
}
