package dev.cairn.delta;

import static dev.cairn.delta.SpillFormat.RECORD_HEAD;

import dev.cairn.error.CorruptStoreException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.function.LongSupplier;

/**
 * The read-back path of a spill file: finds a sealed chunk's record, reads it and checks it against
 * {@link SpillFormat}, opens it if the file is sealed ({@link SpillSeal}: the CRC first, then the
 * tag), decodes it (decompressing with the injected {@link ChunkCompressor}) and keeps it in the
 * shared {@link RecordCache}. {@link #load} is the one place where a record's bytes come back from
 * the file and become chunks; {@link GroupWriter} is the writing end.
 *
 * <p><b>Thread safety:</b> thread-safe without locks: reads are positional, a sealed record never
 * changes until compaction (which the owner keeps out), the cache publishes immutable records, and
 * every call uses its own scratch buffer.
 */
final class RecordReader {
  private final Path path;
  private final FileChannel channel;
  private final ChunkCompressor compressor;
  private final int chunkSize;
  private final int groupChunks;
  private final int maxRecordLength;
  private final int maxPlainLength;
  // null for a plain file
  private final SpillSeal seal;
  private final RecordCache cache;
  private final LongSupplier end;

  /**
   * @param end the end of the sealed records, read afresh at each check because the writer moves it
   */
  RecordReader(
      Path path,
      FileChannel channel,
      ChunkCompressor compressor,
      int chunkSize,
      int groupChunks,
      SpillSeal seal,
      RecordCache cache,
      LongSupplier end) {
    this.path = path;
    this.channel = channel;
    this.compressor = compressor;
    this.chunkSize = chunkSize;
    this.groupChunks = groupChunks;
    this.seal = seal;
    this.maxPlainLength = SpillFormat.maxRecordLength(compressor, chunkSize, groupChunks, 0);
    this.maxRecordLength =
        SpillFormat.maxRecordLength(
            compressor, chunkSize, groupChunks, seal == null ? 0 : seal.overhead());
    this.cache = cache;
    this.end = end;
  }

  /**
   * Copies {@code dst.remaining()} bytes of chunk {@code chunkId}, {@code from} bytes into it, out
   * of slot {@code slot} of the sealed record at {@code offset}, advancing {@code dst}'s position.
   *
   * @throws CorruptStoreException if the record does not check out, or its slot holds another chunk
   */
  void read(long offset, int slot, long chunkId, int from, ByteBuffer dst) throws IOException {
    if (offset < SpillFormat.HEADER_LENGTH || offset >= end.getAsLong()) {
      throw new CorruptStoreException(
          path,
          "location of chunk " + chunkId + " points outside the file (offset " + offset + ")");
    }
    RecordCache.Decoded d = cache.get(offset);
    if (d == null) {
      d = load(offset, SpillFormat.newBuffer(maxRecordLength), plainScratch());
      cache.put(d);
    }
    if (slot >= d.count() || d.ids()[slot] != chunkId) {
      throw new CorruptStoreException(
          path,
          "record at "
              + offset
              + " slot "
              + slot
              + " holds "
              + (slot >= d.count() ? "nothing" : "chunk " + d.ids()[slot])
              + ", expected chunk "
              + chunkId);
    }
    dst.put(d.data(), slot * chunkSize + from, dst.remaining());
  }

  /** See {@link DeltaAllocator#scan}. */
  void scan(RecordVisitor visitor) throws IOException {
    ByteBuffer rec = SpillFormat.newBuffer(maxRecordLength);
    ByteBuffer plain = plainScratch();
    long limit = end.getAsLong();
    long pos = SpillFormat.HEADER_LENGTH;
    while (pos < limit) {
      RecordCache.Decoded d = load(pos, rec, plain);
      visitor.visit(pos, d.count(), d.ids(), d.data());
      pos += SpillFormat.recordLength(rec);
    }
  }

  /** Where a sealed record is opened; null for a plain file. */
  private ByteBuffer plainScratch() {
    return seal == null ? null : SpillFormat.newBuffer(maxPlainLength);
  }

  /**
   * Reads, checks and decodes the record at {@code offset}, using {@code stored} as scratch for the
   * record as stored and {@code plain} (null in a plain file) for it opened.
   */
  private RecordCache.Decoded load(long offset, ByteBuffer stored, ByteBuffer plain)
      throws IOException {
    String problem =
        SpillFormat.readRecord(
            channel,
            path,
            offset,
            end.getAsLong(),
            stored,
            chunkSize,
            groupChunks,
            maxRecordLength,
            seal == null ? 0 : seal.overhead());
    if (problem != null) {
      throw new CorruptStoreException(path, "record at " + offset + problem);
    }
    ByteBuffer rec = stored;
    if (seal != null) {
      seal.open(path, offset, stored, plain);
      rec = plain;
    }
    int len = SpillFormat.recordLength(rec);
    int n = SpillFormat.chunkCount(rec);
    long[] ids = new long[n];
    for (int s = 0; s < n; s++) {
      ids[s] = rec.getLong(RECORD_HEAD + 8 * s);
    }
    byte[] data = new byte[n * chunkSize];
    ByteBuffer payload = rec.duplicate().position(RECORD_HEAD + 8 * n).limit(len);
    if (rec.get(14) == SpillFormat.RAW) {
      payload.get(data);
    } else {
      try {
        compressor.decompress(payload, ByteBuffer.wrap(data));
      } catch (IOException e) {
        throw new CorruptStoreException(
            path, "record at " + offset + " does not decompress: " + e.getMessage(), e);
      }
    }
    return new RecordCache.Decoded(offset, n, ids, data);
  }
}
