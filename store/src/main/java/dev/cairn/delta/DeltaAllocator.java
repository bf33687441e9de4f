package dev.cairn.delta;

import dev.cairn.error.ClosedException;
import dev.cairn.error.CorruptStoreException;
import dev.cairn.error.OutOfSpaceException;
import dev.cairn.io.WriteBehind;
import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * The spill file of a writable layer: an append-only file of changed chunks. Chunks (a fixed size,
 * a power of two) are gathered in memory into an open <em>group</em>; when the group is full it is
 * <em>sealed</em>: compressed as one unit with the injected {@link ChunkCompressor} and appended as
 * one CRC-framed record, which the injected {@link RecordCipher} may seal with AES-256-GCM (see
 * {@link SpillFormat}). Grouping matters because a 4 KiB chunk compresses poorly on its own and a
 * record per chunk would cost a header and a system call each.
 *
 * <p>{@link #write} returns a chunk's <em>location</em> at once, before its group is sealed: the
 * open group will be written at the current end of the file, so the location {@code (recordOffset
 * << 8) | slot} is already known. Reads of chunks in the open group are served from memory; reads
 * of sealed chunks read, check and decompress their record, and keep the last few decompressed
 * records in a small cache. Writing a chunk that is already in the open group overwrites its slot,
 * so rewriting one block many times between seals costs no space.
 *
 * <p>This class is the facade and keeps placement and durability; the other jobs are split: {@link
 * SpillFormat} (the file layout, documented there byte by byte), {@link GroupWriter} (grouping,
 * compression, appending), {@link RecordReader} (reading sealed records back), {@link RecoveryScan}
 * (finding the intact end on open) and {@link RecordCache} (decoded records).
 *
 * <h2>Durability and recovery</h2>
 *
 * {@link #seal()} appends without forcing; {@link #force()} (fdatasync) makes everything appended
 * so far durable (write-back starts in the background every 32 MiB appended, see {@link
 * WriteBehind}, so that a force after a large write has little left to do); {@link #flush()} does
 * both. Records past what the owner's manifest knows to be durable are simply unreferenced. On
 * {@link #open}, records from {@code scanFrom} on are checked and a torn tail is cut off (see
 * {@link RecoveryScan}).
 *
 * <p>Space of overwritten chunks is not reused in place; {@link DeltaStore#compact()} copies the
 * live chunks into a new spill file (see {@link StoreCompaction} for the switch-over protocol).
 *
 * <p><b>Thread safety:</b> thread-safe. Writes, seals and reads of the open group are serialised on
 * the allocator; reads of sealed records and {@link #force()} run concurrently with them. {@link
 * #close()} does not seal: call {@link #flush()} first to keep the open group.
 */
public final class DeltaAllocator implements Closeable {
  /** Length of the file header; the first record starts here. */
  public static final int HEADER_LENGTH = SpillFormat.HEADER_LENGTH;

  /** The most chunks one record can hold (a slot is 8 bits of the location). */
  public static final int MAX_CHUNKS_PER_RECORD = SpillFormat.MAX_CHUNKS_PER_RECORD;

  public static final int MIN_CHUNK_SIZE = SpillFormat.MIN_CHUNK_SIZE;
  public static final int MAX_CHUNK_SIZE = SpillFormat.MAX_CHUNK_SIZE;

  static final int RECORD_HEAD = SpillFormat.RECORD_HEAD;

  private static final long WRITE_BEHIND_BYTES = 32L << 20;

  private final Path path;
  private final FileChannel channel;
  private final int chunkSize;
  private final int groupChunks;
  private final long generation;
  private final RecordCipher cipher;
  private final SpillRecovery recovery;
  private final RecordReader reader;
  private final WriteBehind writeBehind;
  // null when read-only; guarded by this
  private final GroupWriter writer;
  // the end of a read-only file
  private final long fixedEnd;
  private volatile long forcedEnd;
  private volatile boolean closed;

  private DeltaAllocator(
      Path path,
      FileChannel channel,
      ChunkCompressor compressor,
      RecordCipher cipher,
      SpillFormat.Header header,
      boolean readOnly,
      long end,
      long slots,
      SpillRecovery recovery) {
    this.path = path;
    this.channel = channel;
    this.chunkSize = header.chunkSize();
    this.groupChunks = header.groupChunks();
    this.generation = header.generation();
    this.cipher = cipher;
    this.fixedEnd = end;
    this.forcedEnd = end;
    this.recovery = recovery;
    this.writeBehind = new WriteBehind(channel, WRITE_BEHIND_BYTES);
    RecordCache cache = new RecordCache();
    SpillSeal seal = header.sealed() ? new SpillSeal(cipher, header) : null;
    this.reader =
        new RecordReader(path, channel, compressor, chunkSize, groupChunks, seal, cache, this::end);
    this.writer =
        readOnly
            ? null
            : new GroupWriter(
                path,
                channel,
                compressor,
                chunkSize,
                groupChunks,
                cache,
                writeBehind,
                seal,
                end,
                slots);
  }

  /**
   * Creates a new, empty spill file (it must not exist) and forces its header. The caller forces
   * the directory if the file's existence must survive a crash.
   */
  public static DeltaAllocator create(
      Path file, int chunkSize, int groupChunks, long generation, ChunkCompressor compressor)
      throws IOException {
    return create(file, chunkSize, groupChunks, generation, compressor, RecordCipher.NONE);
  }

  /**
   * {@link #create(Path, int, int, long, ChunkCompressor)} with records sealed by {@code cipher}.
   */
  public static DeltaAllocator create(
      Path file,
      int chunkSize,
      int groupChunks,
      long generation,
      ChunkCompressor compressor,
      RecordCipher cipher)
      throws IOException {
    SpillFormat.checkShape(chunkSize, groupChunks);
    FileChannel ch =
        PrivateFiles.open(
            file, StandardOpenOption.CREATE_NEW, StandardOpenOption.READ, StandardOpenOption.WRITE);
    try {
      SpillFormat.Header h =
          new SpillFormat.Header(
              compressor.id(), chunkSize, generation, groupChunks, !cipher.isPlain());
      SpillFormat.writeHeader(ch, h);
      ch.force(true);
      return new DeltaAllocator(
          file, ch, compressor, cipher, h, false, HEADER_LENGTH, 0, new SpillRecovery(0, 0, 0));
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
    return open(file, compressor, scanFrom, readOnly, RecordCipher.NONE);
  }

  /**
   * {@link #open(Path, ChunkCompressor, long, boolean)} of a file whose records {@code cipher}
   * sealed: a plain cipher for a plain file, the key it was sealed under for a sealed one.
   *
   * @throws CorruptStoreException also if the file is sealed and {@code cipher} plain or the
   *     reverse, or a record checked does not authenticate
   */
  public static DeltaAllocator open(
      Path file, ChunkCompressor compressor, long scanFrom, boolean readOnly, RecordCipher cipher)
      throws IOException {
    FileChannel ch =
        readOnly
            ? FileChannel.open(file, StandardOpenOption.READ)
            : FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE);
    try {
      long size = ch.size();
      SpillFormat.Header h = SpillFormat.readHeader(ch, file, size, compressor, cipher);
      RecoveryScan.Result r =
          RecoveryScan.scan(
              ch,
              file,
              Math.max(scanFrom, HEADER_LENGTH),
              size,
              h.chunkSize(),
              h.groupChunks(),
              SpillFormat.maxRecordLength(
                  compressor, h.chunkSize(), h.groupChunks(), cipher.overhead()),
              h.sealed() ? new SpillSeal(cipher, h) : null,
              readOnly);
      return new DeltaAllocator(
          file,
          ch,
          compressor,
          cipher,
          h,
          readOnly,
          r.end(),
          r.recovery().slotsScanned(),
          r.recovery());
    } catch (IOException | RuntimeException e) {
      ch.close();
      throw e;
    }
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
    return writer.write(chunkId, src);
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
    writer.writeRun(firstId, src, locations);
  }

  /**
   * Appends the open group (if it holds anything) as a record, without forcing it, and returns the
   * end of the file, which is where the next group will go.
   */
  public synchronized long seal() throws IOException {
    checkWritable();
    return writer.seal();
  }

  /** Makes everything appended so far durable (fdatasync); a no-op if nothing was appended. */
  public void force() throws IOException {
    long e = end();
    if (forcedEnd >= e) {
      return;
    }
    writeBehind.awaitAndCheck();
    try {
      channel.force(false);
    } catch (IOException x) {
      throw OutOfSpaceException.classify(x);
    }
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
    if (writer == null) {
      throw new IllegalStateException(path + " is open read-only");
    }
    if (closed) {
      throw new ClosedException(path.toString());
    }
    if (writer.broken()) {
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
    if (writer != null) {
      synchronized (this) {
        if (writer.readOpen(offset, slot, chunkId, from, dst)) {
          return;
        }
      }
    }
    reader.read(offset, slot, chunkId, from, dst);
  }

  /**
   * Visits every record from the first to the end (sealed records only; seal first to include the
   * open group), in file order. Throws {@link CorruptStoreException} at a damaged record.
   */
  public void scan(RecordVisitor visitor) throws IOException {
    reader.scan(visitor);
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

  /** How the records are stored: plain, or sealed under a key. */
  public RecordCipher cipher() {
    return cipher;
  }

  /** The end of the sealed records: the file's length, and where the open group will go. */
  public long end() {
    return writer == null ? fixedEnd : writer.end();
  }

  /** How far the file is known to be durable. */
  public long forcedEnd() {
    return forcedEnd;
  }

  /** Chunk slots in sealed records (live or overwritten) that this object has seen. */
  public long slots() {
    return writer == null ? recovery.slotsScanned() : writer.slots();
  }

  /** Chunks in the open group. */
  public synchronized int openChunks() {
    return writer == null ? 0 : writer.openChunks();
  }

  /** What opening found. */
  public SpillRecovery recovery() {
    return recovery;
  }

  /** Closes the file. The open group, if any, is dropped. */
  @Override
  public void close() throws IOException {
    closed = true;
    channel.close();
  }
}
