package dev.cairn.delta;

import dev.cairn.error.CorruptStoreException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;

/**
 * Finds where the intact records of a spill file end after a crash: checks the records from a
 * durable offset on, one by one, and (unless read-only) truncates the file at the first torn one
 * (runs past the end, bad magic, length or checksum). A crash while appending leaves at most such a
 * tail, and since nothing durable refers past the offset the scan starts from, cutting there never
 * loses referenced data. In a sealed file each intact record must also authenticate ({@link
 * SpillSeal}): a record whose CRC matches but whose tag does not is no torn tail but damage, and is
 * reported as such rather than cut off.
 *
 * <p><b>Thread safety:</b> stateless; it runs before the allocator is published.
 */
final class RecoveryScan {
  /** Where the intact records end, and what the scan saw and cut off. */
  record Result(long end, SpillRecovery recovery) {}

  private RecoveryScan() {}

  /**
   * Scans {@code file} (of {@code size} bytes, with the given shape; {@code seal} null if plain)
   * from {@code from} on.
   *
   * @throws CorruptStoreException if the file is shorter than {@code from} (durable data is
   *     missing), or an intact record does not authenticate
   */
  static Result scan(
      FileChannel ch,
      Path file,
      long from,
      long size,
      int chunkSize,
      int groupChunks,
      int maxRecordLength,
      SpillSeal seal,
      boolean readOnly)
      throws IOException {
    if (from > size) {
      throw new CorruptStoreException(
          file,
          "spill file ends at "
              + size
              + " but data up to "
              + from
              + " was recorded as durable; the file was truncated or replaced");
    }
    ByteBuffer rec = SpillFormat.newBuffer(maxRecordLength);
    ByteBuffer plain = seal == null ? null : SpillFormat.newBuffer(maxRecordLength);
    int overhead = seal == null ? 0 : seal.overhead();
    long pos = from;
    long records = 0;
    long slots = 0;
    while (pos < size
        && SpillFormat.readRecord(
                ch, file, pos, size, rec, chunkSize, groupChunks, maxRecordLength, overhead)
            == null) {
      if (seal != null) {
        seal.open(file, pos, rec, plain);
      }
      records++;
      slots += SpillFormat.chunkCount(rec);
      pos += SpillFormat.recordLength(rec);
    }
    if (pos < size && !readOnly) {
      ch.truncate(pos);
      ch.force(true);
    }
    return new Result(pos, new SpillRecovery(records, slots, size - pos));
  }
}
