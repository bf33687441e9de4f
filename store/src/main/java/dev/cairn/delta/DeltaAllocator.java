package dev.cairn.delta;

import dev.cairn.io.Crc;
import dev.cairn.io.WriteBehind;
import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.zip.CRC32C;

/**
 * The spill file of a writable layer: an append-only file of changed chunks. Chunks (a fixed size,
 * a power of two) are gathered in memory into an open <em>group</em>; when the group is full it is
 * <em>sealed</em>: compressed as one unit with the injected {@link ChunkCompressor} and appended as
 * one CRC-framed record. Grouping matters because a 4 KiB chunk compresses poorly on its own and a
 * record per chunk would cost a header and a system call each.
 *
 * <p>{@link #write} returns a chunk's <em>location</em> at once, before its group is sealed: the
 * open group will be written at the current end of the file, so the location {@code (recordOffset
 * << 8) | slot} is already known. Reads of chunks in the open group are served from memory; reads
 * of sealed chunks read, check and decompress their record, and keep the last few decompressed
 * records in a small cache. Writing a chunk that is already in the open group overwrites its slot,
 * so rewriting one block many times between seals costs no space.
 *
 * <h2>File layout</h2>
 *
 * Little-endian; offsets in bytes. Header:
 *
 * <pre>
 *   0   8  magic "CAIRNSPL" (43 41 49 52 4E 53 50 4C)
 *   8   2  version (1)
 *  10   2  compressor id ({@link ChunkCompressor#id()})
 *  12   4  chunk size C (a power of two, 512 .. 1 MiB)
 *  16   8  generation (the spill file's number; see DeltaStore)
 *  24   2  chunks per record G (1 .. 256)
 *  26   2  reserved, zero
 *  28   4  CRC32C of bytes [0, 28)
 *  32   …  records, back to back
 * </pre>
 *
 * Each record, at offset R:
 *
 * <pre>
 *   0   4  magic "CSPR" (43 53 50 52)
 *   4   4  record length L, from byte 0 to the end of the payload
 *   8   4  CRC32C of the record's bytes [0, 8) followed by its bytes [12, L)
 *  12   2  chunk count n (1 .. G)
 *  14   1  encoding: 0 raw (payload is n × C bytes), 1 compressed (payload decompresses to n × C)
 *  15   1  reserved, zero
 *  16  8n  chunk ids (i64 each), slot 0 first
 *  16+8n   payload, L - 16 - 8n bytes: the chunks of slots 0..n-1, back to back
 * </pre>
 *
 * A location is {@code R << 8 | slot}.
 *
 * <h2>Durability and recovery</h2>
 *
 * {@link #seal()} appends without forcing; {@link #force()} (fdatasync) makes everything appended
 * so far durable (write-back starts in the background every 32 MiB appended, see {@link
 * WriteBehind}, so that a force after a large write has little left to do); {@link #flush()} does
 * both. Records past what the owner's manifest knows to be durable are simply unreferenced. On
 * {@link #open}, records from {@code scanFrom} on are checked one by one, and the file is truncated
 * at the first one that is torn (runs past the end, bad magic, length or checksum): a crash while
 * appending leaves at most such a tail, and since nothing durable refers past {@code scanFrom} (the
 * owner passes the durable end it recorded), cutting there never loses referenced data.
 *
 * <p>Space of overwritten chunks is not reused in place; {@link DeltaStore#compact()} copies the
 * live chunks into a new spill file (see there for the switch-over protocol).
 *
 * <p><b>Thread safety:</b> thread-safe. Writes, seals and reads of the open group are serialised on
 * the allocator; reads of sealed records and {@link #force()} run concurrently with them. {@link
 * #close()} does not seal: call {@link #flush()} first to keep the open group.
 */
public final class DeltaAllocator implements Closeable {
  /** Length of the file header; the first record starts here. */
  public static final int HEADER_LENGTH = 32;

  /** The most chunks one record can hold (a slot is 8 bits of the location). */
  public static final int MAX_CHUNKS_PER_RECORD = 256;

  public static final int MIN_CHUNK_SIZE = 512;
  public static final int MAX_CHUNK_SIZE = 1 << 20;

  static final int RECORD_HEAD = 16;
  static final byte RAW = 0;
  static final byte COMPRESSED = 1;

  private static final int VERSION = 1;
  private static final byte[] MAGIC = "CAIRNSPL".getBytes(StandardCharsets.US_ASCII);
  private static final int RECORD_MAGIC = 0x52505343; // "CSPR" read little-endian
  private static final int CACHE_SLOTS = 64;
  private static final long GOLDEN = 0x9E3779B97F4A7C15L;
  private static final int FAILURES_BEFORE_SKIPPING = 4;
  private static final long WRITE_BEHIND_BYTES = 32L << 20;
  private static final int MAX_BATCH = 64;
  private static final int GROUPS_SKIPPED = 60;

  /** What {@link #open} found past {@code scanFrom}. */
  public record Recovery(long recordsScanned, long slotsScanned, long bytesDiscarded) {}

  /** A decoded record: its chunk ids and their bytes. Immutable once published. */
  private record Decoded(long offset, int count, long[] ids, byte[] data) {}

  /** Receives the records of a {@link #scan}. */
  @FunctionalInterface
  public interface RecordVisitor {
    /**
     * One record at {@code offset} with {@code count} chunks: {@code ids[slot]} and the chunk's
     * bytes at {@code data[slot * chunkSize ..]}. Both arrays are only valid during the call.
     */
    void visit(long offset, int count, long[] ids, byte[] data) throws IOException;
  }

  private final Path path;
  private final FileChannel channel;
  private final ChunkCompressor compressor;
  private final int chunkSize;
  private final int groupChunks;
  private final long generation;
  private final boolean readOnly;
  private final int maxRecordLength;
  private final Recovery recovery;
  private final AtomicReferenceArray<Decoded> cache = new AtomicReferenceArray<>(CACHE_SLOTS);
  private final WriteBehind writeBehind;

  // Guarded by this.
  private final ByteBuffer group;
  private final long[] groupIds;
  private int groupCount;
  private final ByteBuffer out;
  private final ByteBuffer head;
  private final ByteBuffer heads;
  private boolean broken;
  // Incompressible data (media, encrypted or already compressed files) fails every compression
  // attempt; after a few failures in a row the next groups are stored raw without trying.
  private int failedInARow;
  private int skipCompression;

  private volatile long end;
  private volatile long forcedEnd;
  private volatile long slots;
  private volatile boolean closed;

  private DeltaAllocator(
      Path path,
      FileChannel channel,
      ChunkCompressor compressor,
      int chunkSize,
      int groupChunks,
      long generation,
      boolean readOnly,
      long end,
      long slots,
      Recovery recovery) {
    this.path = path;
    this.channel = channel;
    this.compressor = compressor;
    this.chunkSize = chunkSize;
    this.groupChunks = groupChunks;
    this.generation = generation;
    this.readOnly = readOnly;
    this.end = end;
    this.forcedEnd = end;
    this.slots = slots;
    this.recovery = recovery;
    this.writeBehind = new WriteBehind(channel, WRITE_BEHIND_BYTES);
    this.maxRecordLength = maxRecordLength(compressor, chunkSize, groupChunks);
    this.group = readOnly ? null : ByteBuffer.allocate(chunkSize * groupChunks);
    this.groupIds = new long[groupChunks];
    // direct: FileChannel writes from heap buffers go through a temporary direct copy
    this.out = readOnly ? null : newDirectBuffer(maxRecordLength);
    this.head = readOnly ? null : newDirectBuffer(RECORD_HEAD + 8 * groupChunks);
    this.heads = readOnly ? null : newDirectBuffer(MAX_BATCH * (RECORD_HEAD + 8 * groupChunks));
  }

  private static int maxRecordLength(ChunkCompressor c, int chunkSize, int groupChunks) {
    int raw = chunkSize * groupChunks;
    return RECORD_HEAD + 8 * groupChunks + Math.max(raw, c.maxCompressedLength(raw));
  }

  /**
   * Creates a new, empty spill file (it must not exist) and forces its header. The caller forces
   * the directory if the file's existence must survive a crash.
   */
  public static DeltaAllocator create(
      Path file, int chunkSize, int groupChunks, long generation, ChunkCompressor compressor)
      throws IOException {
    if (Integer.bitCount(chunkSize) != 1
        || chunkSize < MIN_CHUNK_SIZE
        || chunkSize > MAX_CHUNK_SIZE) {
      throw new IllegalArgumentException("chunk size must be a power of two, 512..1M");
    }
    if (groupChunks < 1 || groupChunks > MAX_CHUNKS_PER_RECORD) {
      throw new IllegalArgumentException("chunks per record must be 1.." + MAX_CHUNKS_PER_RECORD);
    }
    if ((long) chunkSize * groupChunks > 16 << 20) {
      throw new IllegalArgumentException("records of more than 16 MiB");
    }
    FileChannel ch =
        PrivateFiles.open(
            file, StandardOpenOption.CREATE_NEW, StandardOpenOption.READ, StandardOpenOption.WRITE);
    try {
      ByteBuffer h = newBuffer(HEADER_LENGTH);
      h.put(MAGIC)
          .putShort((short) VERSION)
          .putShort((short) compressor.id())
          .putInt(chunkSize)
          .putLong(generation)
          .putShort((short) groupChunks)
          .putShort((short) 0);
      h.putInt(Crc.of(h, 0, 28)).flip();
      FileChannels.writeFully(ch, h, 0);
      ch.force(true);
      return new DeltaAllocator(
          file,
          ch,
          compressor,
          chunkSize,
          groupChunks,
          generation,
          false,
          HEADER_LENGTH,
          0,
          new Recovery(0, 0, 0));
    } catch (IOException | RuntimeException e) {
      ch.close();
      throw e;
    }
  }

  /**
   * Opens a spill file, checks its header and the records from {@code scanFrom} on, and (unless
   * {@code readOnly}) truncates it after the last intact one. Pass {@link #HEADER_LENGTH} to check
   * every record.
   *
   * @throws CorruptStoreException if the header is damaged, names another compressor, or the file
   *     is shorter than {@code scanFrom} (durable data is missing)
   */
  public static DeltaAllocator open(
      Path file, ChunkCompressor compressor, long scanFrom, boolean readOnly) throws IOException {
    FileChannel ch =
        readOnly
            ? FileChannel.open(file, StandardOpenOption.READ)
            : FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE);
    boolean ok = false;
    try {
      long size = ch.size();
      if (size < HEADER_LENGTH) {
        throw new CorruptStoreException(file, "spill file is truncated (" + size + " bytes)");
      }
      ByteBuffer h = newBuffer(HEADER_LENGTH);
      FileChannels.readFully(ch, h, 0, file);
      h.flip();
      byte[] magic = new byte[8];
      h.get(magic);
      if (!Arrays.equals(magic, MAGIC)) {
        throw new CorruptStoreException(file, "not a Cairn spill file (bad magic)");
      }
      if (h.getInt(28) != Crc.of(h, 0, 28)) {
        throw new CorruptStoreException(file, "spill file header checksum mismatch (CRC32C)");
      }
      int version = Short.toUnsignedInt(h.getShort(8));
      int compressorId = Short.toUnsignedInt(h.getShort(10));
      int chunkSize = h.getInt(12);
      long generation = h.getLong(16);
      int groupChunks = Short.toUnsignedInt(h.getShort(24));
      if (version != VERSION) {
        throw new CorruptStoreException(file, "unsupported spill file version " + version);
      }
      if (compressorId != compressor.id()) {
        throw new CorruptStoreException(
            file,
            "spill file was written with compressor "
                + compressorId
                + ", opened with "
                + compressor.id());
      }
      if (Integer.bitCount(chunkSize) != 1
          || chunkSize < MIN_CHUNK_SIZE
          || chunkSize > MAX_CHUNK_SIZE
          || groupChunks < 1
          || groupChunks > MAX_CHUNKS_PER_RECORD) {
        throw new CorruptStoreException(
            file, "bad chunk size " + chunkSize + " or chunks per record " + groupChunks);
      }
      long from = Math.max(scanFrom, HEADER_LENGTH);
      if (from > size) {
        throw new CorruptStoreException(
            file,
            "spill file ends at "
                + size
                + " but data up to "
                + from
                + " was recorded as durable; the file was truncated or replaced");
      }
      int maxLen = maxRecordLength(compressor, chunkSize, groupChunks);
      ByteBuffer rec = newBuffer(maxLen);
      long pos = from;
      long records = 0;
      long scannedSlots = 0;
      while (pos < size) {
        int n = intactRecord(ch, file, pos, size, rec, chunkSize, groupChunks, maxLen);
        if (n <= 0) {
          break;
        }
        records++;
        scannedSlots += Short.toUnsignedInt(rec.getShort(12));
        pos += rec.getInt(4);
      }
      if (pos < size && !readOnly) {
        ch.truncate(pos);
        ch.force(true);
      }
      DeltaAllocator a =
          new DeltaAllocator(
              file,
              ch,
              compressor,
              chunkSize,
              groupChunks,
              generation,
              readOnly,
              pos,
              scannedSlots,
              new Recovery(records, scannedSlots, size - pos));
      ok = true;
      return a;
    } finally {
      if (!ok) {
        ch.close();
      }
    }
  }

  /**
   * Reads the record at {@code pos} into {@code rec} (from 0) if it is intact; returns its chunk
   * count, or 0 if it is torn or damaged.
   */
  private static int intactRecord(
      FileChannel ch,
      Path file,
      long pos,
      long size,
      ByteBuffer rec,
      int chunkSize,
      int groupChunks,
      int maxLen)
      throws IOException {
    if (size - pos < RECORD_HEAD) {
      return 0;
    }
    rec.clear().limit(RECORD_HEAD);
    FileChannels.readFully(ch, rec, pos, file);
    String problem = checkHead(rec, chunkSize, groupChunks, maxLen);
    if (problem != null) {
      return 0;
    }
    int len = rec.getInt(4);
    if (len > size - pos) {
      return 0;
    }
    rec.limit(len);
    FileChannels.readFully(ch, rec, pos + RECORD_HEAD, file);
    if (rec.getInt(8) != Crc.of(rec, 0, 8, 12, len)) {
      return 0;
    }
    return Short.toUnsignedInt(rec.getShort(12));
  }

  /** Checks the 16-byte record head in {@code rec}; returns what is wrong, or null. */
  static String checkHead(ByteBuffer rec, int chunkSize, int groupChunks, int maxLen) {
    if (rec.getInt(0) != RECORD_MAGIC) {
      return "bad record magic";
    }
    int len = rec.getInt(4);
    int n = Short.toUnsignedInt(rec.getShort(12));
    byte encoding = rec.get(14);
    if (n < 1 || n > groupChunks) {
      return "chunk count " + n + " out of range";
    }
    if (rec.get(15) != 0) {
      return "reserved byte set";
    }
    int fixed = RECORD_HEAD + 8 * n;
    if (encoding == RAW) {
      if (len != fixed + n * chunkSize) {
        return "raw record length " + len + " does not match " + n + " chunks";
      }
    } else if (encoding == COMPRESSED) {
      if (len <= fixed || len > maxLen) {
        return "compressed record length " + len + " out of range";
      }
    } else {
      return "unknown encoding " + encoding;
    }
    return null;
  }

  /** The location of slot {@code slot} of the record at {@code recordOffset}. */
  public static long location(long recordOffset, int slot) {
    return (recordOffset << 8) | slot;
  }

  /** The record offset of a location. */
  public static long recordOffset(long location) {
    return location >>> 8;
  }

  /** The slot of a location. */
  public static int slot(long location) {
    return (int) (location & 0xFF);
  }

  /**
   * Adds {@code src}'s next {@link #chunkSize()} bytes (it must have exactly that many remaining;
   * its position is not changed) as chunk {@code chunkId}, and returns its location. Seals the open
   * group first if it is full.
   */
  public synchronized long write(long chunkId, ByteBuffer src) throws IOException {
    checkWritable();
    if (src.remaining() != chunkSize) {
      throw new IllegalArgumentException(
          "chunk of " + src.remaining() + " bytes, expected " + chunkSize);
    }
    int slot = -1;
    for (int i = 0; i < groupCount; i++) {
      if (groupIds[i] == chunkId) {
        slot = i;
        break;
      }
    }
    if (slot < 0) {
      if (groupCount == groupChunks) {
        sealLocked();
      }
      slot = groupCount++;
      groupIds[slot] = chunkId;
    }
    group.put(slot * chunkSize, src, src.position(), chunkSize);
    return location(end, slot);
  }

  /**
   * Adds {@code src}'s remaining bytes, a whole number {@code n} of chunks, as chunks {@code
   * firstId} .. {@code firstId + n - 1}, and stores their locations in {@code locations[0 .. n)}.
   * Its position is not changed. The same as {@code n} calls of {@link #write}, but whole groups
   * that start with an empty open group are sealed straight from {@code src}: no copy into the
   * group, and incompressible data goes to the file with one gathering write, header and payload.
   * Such groups are not kept in the decoded-record cache (large sequential writes are seldom read
   * back at once, unlike a filesystem's small metadata writes).
   */
  public synchronized void writeRun(long firstId, ByteBuffer src, long[] locations)
      throws IOException {
    checkWritable();
    if (src.remaining() % chunkSize != 0) {
      throw new IllegalArgumentException(
          "run of " + src.remaining() + " bytes is not a whole number of chunks");
    }
    int n = src.remaining() / chunkSize;
    if (locations.length < n) {
      throw new IllegalArgumentException("room for " + locations.length + " of " + n + " chunks");
    }
    int base = src.position();
    int i = 0;
    while (i < n) {
      int at = base + i * chunkSize;
      int whole = (n - i) / groupChunks;
      if (groupCount == 0 && whole >= 2 && skipCompression > 0) {
        // incompressible data: several raw records in one gathering write
        int k = Math.min(Math.min(whole, skipCompression), MAX_BATCH);
        long first = end;
        sealRawBatch(firstId + i, src.slice(at, k * groupChunks * chunkSize), k);
        int recordLength = RECORD_HEAD + 8 * groupChunks + groupChunks * chunkSize;
        for (int g = 0; g < k; g++) {
          for (int slot = 0; slot < groupChunks; slot++) {
            locations[i + g * groupChunks + slot] = location(first + (long) g * recordLength, slot);
          }
        }
        i += k * groupChunks;
      } else if (groupCount == 0 && n - i >= groupChunks) {
        long recordOffset = end;
        sealDirect(firstId + i, src.slice(at, groupChunks * chunkSize));
        for (int k = 0; k < groupChunks; k++) {
          locations[i + k] = location(recordOffset, k);
        }
        i += groupChunks;
      } else {
        locations[i] = write(firstId + i, src.slice(at, chunkSize));
        i++;
      }
    }
  }

  /**
   * Appends {@code k} full groups of consecutive chunks from {@code firstId} on as raw records,
   * with one gathering write (the caller has checked that compression is being skipped).
   */
  private void sealRawBatch(long firstId, ByteBuffer raw, int k) throws IOException {
    int headLength = RECORD_HEAD + 8 * groupChunks;
    int groupBytes = groupChunks * chunkSize;
    ByteBuffer[] bufs = new ByteBuffer[2 * k];
    CRC32C crc = new CRC32C();
    for (int g = 0; g < k; g++) {
      ByteBuffer h = heads.slice(g * headLength, headLength).order(ByteOrder.LITTLE_ENDIAN);
      ByteBuffer payload = raw.slice(g * groupBytes, groupBytes);
      bufs[2 * g] =
          finishRaw(recordHead(h, firstId + (long) g * groupChunks, groupChunks), payload, crc);
      bufs[2 * g + 1] = payload;
    }
    long at = end;
    append(at, bufs);
    end = at + (long) k * (headLength + groupBytes);
    slots += (long) k * groupChunks;
    skipCompression -= k;
  }

  /** Appends one full group of consecutive chunks starting at {@code firstId}, read from raw. */
  private void sealDirect(long firstId, ByteBuffer raw) throws IOException {
    int n = groupChunks;
    int headLength = RECORD_HEAD + 8 * n;
    out.clear().position(headLength);
    int c = tryCompress(raw, out);
    long at = end;
    int len;
    if (c >= 0) {
      out.put(0, recordHead(head.clear(), firstId, n), 0, headLength);
      out.put(14, COMPRESSED);
      len = out.position();
      out.putInt(4, len);
      out.putInt(8, Crc.of(out, 0, 8, 12, len));
      out.flip();
      append(at, new ByteBuffer[] {out});
    } else {
      len = headLength + raw.remaining();
      append(
          at,
          new ByteBuffer[] {
            finishRaw(recordHead(head.clear(), firstId, n), raw, new CRC32C()), raw
          });
    }
    end = at + len;
    slots += n;
  }

  /**
   * Writes into {@code h} (from 0) the head of a raw record of the {@code n} consecutive chunks
   * from {@code firstId} on, length and CRC left zero; {@code h} is left positioned after it.
   */
  private static ByteBuffer recordHead(ByteBuffer h, long firstId, int n) {
    h.putInt(RECORD_MAGIC).putInt(0).putInt(0).putShort((short) n).put(RAW).put((byte) 0);
    for (int k = 0; k < n; k++) {
      h.putLong(firstId + k);
    }
    return h;
  }

  /**
   * Completes the raw record head {@code h} (positioned after it) for {@code payload}: its length
   * and its CRC over head and payload. Returns {@code h} flipped.
   */
  private static ByteBuffer finishRaw(ByteBuffer h, ByteBuffer payload, CRC32C crc) {
    int headLength = h.position();
    h.putInt(4, headLength + payload.remaining());
    crc.reset();
    crc.update(h.duplicate().position(0).limit(8));
    crc.update(h.duplicate().position(12).limit(headLength));
    crc.update(payload.duplicate());
    h.putInt(8, (int) crc.getValue());
    return h.flip();
  }

  /**
   * Compresses {@code raw} into {@code dst} at its position if that saves space and is worth
   * trying; returns the compressed length (dst advanced) or -1 (dst's position unchanged).
   */
  private int tryCompress(ByteBuffer raw, ByteBuffer dst) {
    if (skipCompression > 0) {
      skipCompression--;
      return -1;
    }
    int start = dst.position();
    int c = compressor.compress(raw.duplicate(), dst);
    if (c < 0 || c >= raw.remaining()) {
      dst.position(start);
      if (++failedInARow >= FAILURES_BEFORE_SKIPPING) {
        failedInARow = 0;
        skipCompression = GROUPS_SKIPPED;
      }
      return -1;
    }
    failedInARow = 0;
    return c;
  }

  /** Writes {@code bufs} back to back at {@code at}; on failure leaves nothing past {@code at}. */
  private void append(long at, ByteBuffer[] bufs) throws IOException {
    long length = 0;
    for (ByteBuffer b : bufs) {
      length += b.remaining();
    }
    try {
      if (bufs.length == 1) {
        FileChannels.writeFully(channel, bufs[0], at);
      } else {
        // FileChannel has no positional gathering write; writes are serialised on this object
        // and every read is positional, so moving the channel's position is safe here.
        channel.position(at);
        long done = 0;
        while (done < length) {
          done += channel.write(bufs);
        }
      }
    } catch (IOException e) {
      // A partial record must not stay where the next one goes.
      try {
        channel.truncate(at);
      } catch (IOException t) {
        broken = true;
        e.addSuppressed(t);
      }
      throw e;
    }
    writeBehind.appended(length);
  }

  /**
   * Appends the open group (if it holds anything) as a record, without forcing it, and returns the
   * end of the file, which is where the next group will go.
   */
  public synchronized long seal() throws IOException {
    checkWritable();
    if (groupCount > 0) {
      sealLocked();
    }
    return end;
  }

  private void sealLocked() throws IOException {
    int n = groupCount;
    int rawLength = n * chunkSize;
    out.clear();
    out.putInt(RECORD_MAGIC).putInt(0).putInt(0).putShort((short) n).put(RAW).put((byte) 0);
    for (int i = 0; i < n; i++) {
      out.putLong(groupIds[i]);
    }
    ByteBuffer raw = group.duplicate().position(0).limit(rawLength);
    if (tryCompress(raw, out) < 0) {
      out.put(raw);
    } else {
      out.put(14, COMPRESSED);
    }
    int len = out.position();
    out.putInt(4, len);
    out.putInt(8, Crc.of(out, 0, 8, 12, len));
    out.flip();
    long at = end;
    // on failure the group stays open for a retry
    append(at, new ByteBuffer[] {out});
    // Reads of just-written chunks are common (a filesystem reads back its metadata), so the
    // sealed group goes into the cache as it is, sparing a read and a decompression.
    byte[] data = new byte[rawLength];
    group.get(0, data, 0, rawLength);
    cache.set(cacheSlot(at), new Decoded(at, n, Arrays.copyOf(groupIds, n), data));
    end = at + len;
    slots += n;
    groupCount = 0;
  }

  /** Makes everything appended so far durable (fdatasync); a no-op if nothing was appended. */
  public void force() throws IOException {
    long e = end;
    if (forcedEnd >= e) {
      return;
    }
    writeBehind.awaitAndCheck();
    channel.force(false);
    synchronized (this) {
      forcedEnd = Math.max(forcedEnd, e);
    }
  }

  /** {@link #seal()} then {@link #force()}; returns the durable end of the file. */
  public long flush() throws IOException {
    long e = seal();
    force();
    return e;
  }

  private void checkWritable() throws IOException {
    if (readOnly) {
      throw new IllegalStateException(path + " is open read-only");
    }
    if (closed) {
      throw new IOException(path + " is closed");
    }
    if (broken) {
      throw new IOException(path + " failed to write and its tail is unknown; reopen it");
    }
  }

  /**
   * Reads {@code dst.remaining()} bytes of chunk {@code chunkId}, starting {@code from} bytes into
   * it, from {@code location}, advancing {@code dst}'s position.
   *
   * @throws CorruptStoreException if the record does not check out, or its slot holds another chunk
   */
  public void read(long location, long chunkId, int from, ByteBuffer dst) throws IOException {
    if (from < 0 || from + dst.remaining() > chunkSize) {
      throw new IndexOutOfBoundsException("range " + from + "+" + dst.remaining());
    }
    long offset = recordOffset(location);
    int slot = slot(location);
    synchronized (this) {
      if (offset == end && !readOnly) {
        if (slot >= groupCount || groupIds[slot] != chunkId) {
          throw new CorruptStoreException(
              path, "open group slot " + slot + " does not hold chunk " + chunkId);
        }
        int len = dst.remaining();
        dst.put(
            group
                .duplicate()
                .position(slot * chunkSize + from)
                .limit(slot * chunkSize + from + len));
        return;
      }
    }
    if (offset < HEADER_LENGTH || offset >= end) {
      throw new CorruptStoreException(
          path,
          "location of chunk " + chunkId + " points outside the file (offset " + offset + ")");
    }
    Decoded d = decoded(offset);
    if (slot >= d.count || d.ids[slot] != chunkId) {
      throw new CorruptStoreException(
          path,
          "record at "
              + offset
              + " slot "
              + slot
              + " holds "
              + (slot >= d.count ? "nothing" : "chunk " + d.ids[slot])
              + ", expected chunk "
              + chunkId);
    }
    dst.put(d.data, slot * chunkSize + from, dst.remaining());
  }

  private static int cacheSlot(long offset) {
    return (int) ((offset * GOLDEN) >>> 58);
  }

  private Decoded decoded(long offset) throws IOException {
    int i = cacheSlot(offset);
    Decoded d = cache.get(i);
    if (d != null && d.offset == offset) {
      return d;
    }
    d = load(offset, newBuffer(maxRecordLength));
    cache.set(i, d);
    return d;
  }

  /** Reads, checks and decodes the record at {@code offset}, using {@code rec} as scratch. */
  private Decoded load(long offset, ByteBuffer rec) throws IOException {
    long limit = end;
    if (limit - offset < RECORD_HEAD) {
      throw new CorruptStoreException(path, "record at " + offset + " lies past the end");
    }
    rec.clear().limit(RECORD_HEAD);
    FileChannels.readFully(channel, rec, offset, path);
    String problem = checkHead(rec, chunkSize, groupChunks, maxRecordLength);
    if (problem != null) {
      throw new CorruptStoreException(path, "record at " + offset + ": " + problem);
    }
    int len = rec.getInt(4);
    if (len > limit - offset) {
      throw new CorruptStoreException(path, "record at " + offset + " runs past the end");
    }
    rec.limit(len);
    FileChannels.readFully(channel, rec, offset + RECORD_HEAD, path);
    if (rec.getInt(8) != Crc.of(rec, 0, 8, 12, len)) {
      throw new CorruptStoreException(path, "record at " + offset + ": checksum mismatch (CRC32C)");
    }
    int n = Short.toUnsignedInt(rec.getShort(12));
    long[] ids = new long[n];
    for (int s = 0; s < n; s++) {
      ids[s] = rec.getLong(RECORD_HEAD + 8 * s);
    }
    byte[] data = new byte[n * chunkSize];
    ByteBuffer payload = rec.duplicate().position(RECORD_HEAD + 8 * n).limit(len);
    if (rec.get(14) == RAW) {
      payload.get(data);
    } else {
      try {
        compressor.decompress(payload, ByteBuffer.wrap(data));
      } catch (IOException e) {
        throw new CorruptStoreException(
            path, "record at " + offset + " does not decompress: " + e.getMessage(), e);
      }
    }
    return new Decoded(offset, n, ids, data);
  }

  /**
   * Visits every record from the first to the end (sealed records only; seal first to include the
   * open group), in file order. Throws {@link CorruptStoreException} at a damaged record.
   */
  public void scan(RecordVisitor visitor) throws IOException {
    ByteBuffer rec = newBuffer(maxRecordLength);
    long limit = end;
    long pos = HEADER_LENGTH;
    while (pos < limit) {
      Decoded d = load(pos, rec);
      visitor.visit(pos, d.count, d.ids, d.data);
      pos += rec.getInt(4);
    }
  }

  public Path path() {
    return path;
  }

  public int chunkSize() {
    return chunkSize;
  }

  public int chunksPerRecord() {
    return groupChunks;
  }

  public long generation() {
    return generation;
  }

  /** The end of the sealed records: the file's length, and where the open group will go. */
  public long end() {
    return end;
  }

  /** How far the file is known to be durable. */
  public long forcedEnd() {
    return forcedEnd;
  }

  /** Chunk slots in sealed records (live or overwritten) that this object has seen. */
  public long slots() {
    return slots;
  }

  /** Chunks in the open group. */
  public synchronized int openChunks() {
    return groupCount;
  }

  /** What opening found. */
  public Recovery recovery() {
    return recovery;
  }

  /** Closes the file. The open group, if any, is dropped. */
  @Override
  public void close() throws IOException {
    closed = true;
    channel.close();
  }

  private static ByteBuffer newBuffer(int capacity) {
    return ByteBuffer.allocate(capacity).order(ByteOrder.LITTLE_ENDIAN);
  }

  private static ByteBuffer newDirectBuffer(int capacity) {
    return ByteBuffer.allocateDirect(capacity).order(ByteOrder.LITTLE_ENDIAN);
  }
}
