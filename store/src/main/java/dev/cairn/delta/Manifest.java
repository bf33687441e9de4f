package dev.cairn.delta;

import dev.cairn.io.Crc;
import dev.cairn.io.Fsync;
import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.zip.CRC32C;

/**
 * A crash-safe persistent map from non-negative {@code long} keys (chunk indices) to {@code long}
 * values (locations), plus {@value #ATTRIBUTES} numbered {@code long} attributes whose meaning the
 * owner defines (a logical size, where a data file ends, …). The whole map lives in memory (a
 * {@link LongLongMap}); on disk it is a <em>snapshot</em> file holding the map as of some moment
 * and an append-only <em>log</em> of CRC-framed changes since then. {@link #open(Path)} loads the
 * snapshot and replays the log.
 *
 * <h2>Durability</h2>
 *
 * {@link #put}, {@link #remove} and {@link #setAttribute} change the map at once and buffer an
 * encoded entry; only {@link #sync()} appends the buffered entries to the log and forces it, so
 * only changes made before a sync that returned are durable. Entries are logged in the order they
 * were made, so after a crash the map is always the state as of some moment between the last
 * completed sync and the crash. The owner must make whatever a value points at durable
 * <em>before</em> syncing the value (data, then manifest).
 *
 * <p>A crash while appending leaves a torn tail: a partial record, zeros or garbage where the
 * filesystem had not written the data yet. Replay stops at the first record whose length is out of
 * range, that runs past the end of the file or whose CRC32C does not match, and (unless opened
 * read-only) truncates the log there. A torn tail is never an error: the records it held had not
 * been synced. A record whose checksum <em>matches</em> but whose contents are invalid cannot come
 * from a crash, so it is reported as {@link CorruptStoreException} rather than thrown away; so is
 * any damage to the snapshot file.
 *
 * <h2>Files (in the manifest's directory)</h2>
 *
 * <ul>
 *   <li>{@code manifest} — the snapshot of generation <i>G</i>;
 *   <li>{@code manifest.log.G} — the log that applies on top of it (G in decimal);
 *   <li>{@code manifest.tmp} — a snapshot being written by a compaction; never read.
 * </ul>
 *
 * <h2>Snapshot layout</h2>
 *
 * Little-endian; offsets in bytes; A = {@value #ATTRIBUTES}:
 *
 * <pre>
 *   0   8  magic "CAIRNMAN" (43 41 49 52 4E 4D 41 4E)
 *   8   2  version (1)
 *  10   2  attribute count A (8)
 *  12   4  reserved, zero
 *  16   8  generation G
 *  24   8  entry count n
 *  32  8A  attributes 0..A-1 (i64 each)
 *  32+8A  16n  entries: i64 key (non-negative, unique), i64 value; in no particular order
 *  L-4   4  CRC32C of bytes [0, L-4), where L = 32 + 8A + 16n + 4 is the file length
 * </pre>
 *
 * <h2>Log layout</h2>
 *
 * <pre>
 *   0   8  magic "CAIRNLOG" (43 41 49 52 4E 4C 4F 47)
 *   8   2  version (1)
 *  10   6  reserved, zero
 *  16   8  generation G (must equal the snapshot's)
 *  24   4  CRC32C of bytes [0, 24)
 *  28   4  reserved, zero
 *  32   …  records, back to back
 * </pre>
 *
 * Each record:
 *
 * <pre>
 *   0   4  payload length N, 1 ≤ N ≤ 1 MiB
 *   4   4  CRC32C of the record's bytes [0, 4) followed by its bytes [8, 8+N)
 *   8   N  payload: entries back to back, filling it exactly
 * </pre>
 *
 * Entries:
 *
 * <pre>
 *   put:        u8 1, i64 key (non-negative), i64 value    17 bytes
 *   remove:     u8 2, i64 key (non-negative)                9 bytes
 *   attribute:  u8 3, u8 id (0..A-1), i64 value             10 bytes
 * </pre>
 *
 * A record is all-or-nothing; a sync that buffers more than 1 MiB of entries writes several records
 * and, after a crash in the middle of it, some prefix of them survives, which is again the state as
 * of one moment.
 *
 * <h2>Compaction</h2>
 *
 * When the log has grown past twice the snapshot (and at least {@value #MIN_COMPACT_LOG} bytes), a
 * sync writes a new generation instead of appending:
 *
 * <ol>
 *   <li>write the whole map as generation G+1 to {@code manifest.tmp}, fsync it;
 *   <li>create {@code manifest.log.G+1} with just its header, fsync it;
 *   <li>rename {@code manifest.tmp} over {@code manifest}, fsync the directory — the commit point;
 *   <li>delete {@code manifest.log.G}.
 * </ol>
 *
 * A crash before step 3 is durable leaves {@code manifest} at generation G and {@code
 * manifest.log.G} intact: open uses them and deletes {@code manifest.tmp} and {@code
 * manifest.log.G+1}. A crash after it leaves generation G+1, whose snapshot holds everything the
 * old log held: open uses it with {@code manifest.log.G+1} (created empty if its directory entry
 * was lost) and deletes {@code manifest.log.G}. Whichever generation {@code manifest} names is
 * complete, so there is no state in between that needs repair.
 *
 * <p><b>Thread safety:</b> thread-safe. Reads and changes of the map are serialised on the manifest
 * and never wait for disk; syncs are serialised among themselves, and writing and forcing the log
 * happens outside the map's lock, so changes keep flowing while a sync waits for the disk.
 */
public final class Manifest implements Closeable {
  /** The number of owner-defined attributes. */
  public static final int ATTRIBUTES = 8;

  /** The snapshot's file name. */
  public static final String SNAPSHOT_FILE = "manifest";

  static final String TEMP_FILE = "manifest.tmp";
  static final String LOG_PREFIX = "manifest.log.";
  static final int LOG_HEADER_LENGTH = 32;
  static final int FRAME = 8;
  static final int MAX_PAYLOAD = 1 << 20;
  static final int SNAPSHOT_HEADER_LENGTH = 32 + 8 * ATTRIBUTES;
  static final byte PUT = 1;
  static final byte REMOVE = 2;
  static final byte ATTRIBUTE = 3;
  static final int PUT_LENGTH = 17;
  static final int REMOVE_LENGTH = 9;
  static final int ATTRIBUTE_LENGTH = 10;

  private static final long MIN_COMPACT_LOG = 32L << 20;
  private static final int VERSION = 1;
  private static final byte[] SNAPSHOT_MAGIC = "CAIRNMAN".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] LOG_MAGIC = "CAIRNLOG".getBytes(StandardCharsets.US_ASCII);
  private static final int IO_BUFFER = 1 << 20;
  private static final int SPARE_LIMIT = 4 << 20;

  /** What {@link #open(Path)} found in the log. */
  public record Recovery(long recordsReplayed, long bytesDiscarded) {}

  private final Path dir;
  private final boolean readOnly;
  private final Recovery recovery;
  private volatile Failpoint failpoint = Failpoint.NONE;

  // Guarded by this.
  private LongLongMap map;
  private final long[] attributes = new long[ATTRIBUTES];
  private ByteBuffer pending = newBuffer(4096);
  private ByteBuffer spare;
  private int openRecord = -1;
  private final CRC32C crc = new CRC32C();

  // Guarded by syncLock; volatile where read for statistics.
  private final Object syncLock = new Object();
  private FileChannel log;
  private volatile long generation;
  private volatile long logEnd;
  private volatile long snapshotBytes;
  private boolean broken;
  private boolean closed;

  private Manifest(
      Path dir,
      boolean readOnly,
      LongLongMap map,
      long[] attributes,
      FileChannel log,
      long generation,
      long logEnd,
      long snapshotBytes,
      Recovery recovery) {
    this.dir = dir;
    this.readOnly = readOnly;
    this.map = map;
    System.arraycopy(attributes, 0, this.attributes, 0, ATTRIBUTES);
    this.log = log;
    this.generation = generation;
    this.logEnd = logEnd;
    this.snapshotBytes = snapshotBytes;
    this.recovery = recovery;
  }

  /**
   * Creates an empty manifest (generation 0) in {@code dir} with the given initial attributes. The
   * snapshot's rename is the commit point: a crash before it leaves no manifest.
   *
   * @throws FileAlreadyExistsException if {@code dir} already has one
   */
  public static Manifest create(Path dir, long[] initialAttributes) throws IOException {
    if (initialAttributes.length != ATTRIBUTES) {
      throw new IllegalArgumentException("need " + ATTRIBUTES + " attributes");
    }
    Path snapshot = dir.resolve(SNAPSHOT_FILE);
    if (Files.exists(snapshot)) {
      throw new FileAlreadyExistsException(snapshot.toString(), null, "manifest exists");
    }
    LongLongMap map = new LongLongMap();
    long bytes = writeSnapshot(dir.resolve(TEMP_FILE), 0, map, initialAttributes);
    FileChannel log = createLog(logPath(dir, 0), 0);
    try {
      move(dir.resolve(TEMP_FILE), snapshot);
      Fsync.directory(dir);
    } catch (IOException | RuntimeException e) {
      log.close();
      throw e;
    }
    return new Manifest(
        dir, false, map, initialAttributes, log, 0, LOG_HEADER_LENGTH, bytes, new Recovery(0, 0));
  }

  /**
   * Opens the manifest in {@code dir} for reading and writing: loads the snapshot, replays the log,
   * truncates a torn tail and deletes what an interrupted compaction left behind.
   *
   * @throws NoSuchFileException if there is no manifest
   * @throws CorruptStoreException if the snapshot or the log header is damaged, or a log record
   *     with a valid checksum has invalid contents
   */
  public static Manifest open(Path dir) throws IOException {
    return open(dir, false);
  }

  /**
   * Opens the manifest without changing anything on disk: a torn tail is ignored rather than
   * truncated, and leftovers are not deleted. Changing or syncing it throws {@link
   * IllegalStateException}.
   */
  public static Manifest openReadOnly(Path dir) throws IOException {
    return open(dir, true);
  }

  private static Manifest open(Path dir, boolean readOnly) throws IOException {
    Path snapshot = dir.resolve(SNAPSHOT_FILE);
    long[] attributes = new long[ATTRIBUTES];
    LongLongMap map;
    long generation;
    long snapshotBytes;
    try (FileChannel ch = FileChannel.open(snapshot, StandardOpenOption.READ)) {
      snapshotBytes = ch.size();
      map = new LongLongMap();
      generation = readSnapshot(ch, snapshot, snapshotBytes, attributes, map);
    }
    if (!readOnly) {
      deleteLeftovers(dir, generation);
    }
    Path logFile = logPath(dir, generation);
    FileChannel log = null;
    boolean ok = false;
    try {
      long size = Files.exists(logFile) ? Files.size(logFile) : -1;
      if (size < LOG_HEADER_LENGTH) {
        // Only a crash while creating it can leave the log missing or short, before any record
        // could have been appended to it, so starting it afresh loses nothing.
        if (readOnly) {
          ok = true;
          return new Manifest(
              dir,
              true,
              map,
              attributes,
              null,
              generation,
              LOG_HEADER_LENGTH,
              snapshotBytes,
              new Recovery(0, Math.max(size, 0)));
        }
        log = createLog(logFile, generation);
        Fsync.directory(dir);
        ok = true;
        return new Manifest(
            dir,
            false,
            map,
            attributes,
            log,
            generation,
            LOG_HEADER_LENGTH,
            snapshotBytes,
            new Recovery(0, Math.max(size, 0)));
      }
      log =
          readOnly
              ? FileChannel.open(logFile, StandardOpenOption.READ)
              : FileChannel.open(logFile, StandardOpenOption.READ, StandardOpenOption.WRITE);
      checkLogHeader(log, logFile, generation);
      Replay r = replay(log, logFile, size, map, attributes);
      if (r.end < size && !readOnly) {
        log.truncate(r.end);
        log.force(true);
      }
      ok = true;
      return new Manifest(
          dir,
          readOnly,
          map,
          attributes,
          log,
          generation,
          r.end,
          snapshotBytes,
          new Recovery(r.records, size - r.end));
    } finally {
      if (!ok && log != null) {
        log.close();
      }
    }
  }

  static Path logPath(Path dir, long generation) {
    return dir.resolve(LOG_PREFIX + generation);
  }

  /** Deletes a half-written snapshot and the logs of every other generation. */
  private static void deleteLeftovers(Path dir, long generation) throws IOException {
    Files.deleteIfExists(dir.resolve(TEMP_FILE));
    String keep = LOG_PREFIX + generation;
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, LOG_PREFIX + "*")) {
      for (Path p : ds) {
        if (!p.getFileName().toString().equals(keep)) {
          Files.deleteIfExists(p);
        }
      }
    }
  }

  /**
   * Reads and checks a snapshot into {@code map} and {@code attributes}; returns its generation.
   */
  private static long readSnapshot(
      FileChannel ch, Path file, long size, long[] attributes, LongLongMap map) throws IOException {
    if (size < SNAPSHOT_HEADER_LENGTH + 4) {
      throw new CorruptStoreException(file, "manifest snapshot is truncated (" + size + " bytes)");
    }
    ByteBuffer buf = newBuffer(IO_BUFFER);
    CRC32C crc = new CRC32C();
    readFully(ch, buf.limit(SNAPSHOT_HEADER_LENGTH), 0, file);
    buf.flip();
    crc.update(buf.duplicate());
    byte[] magic = new byte[8];
    buf.get(magic);
    if (!Arrays.equals(magic, SNAPSHOT_MAGIC)) {
      throw new CorruptStoreException(file, "not a Cairn manifest snapshot (bad magic)");
    }
    int version = Short.toUnsignedInt(buf.getShort());
    int attributeCount = Short.toUnsignedInt(buf.getShort());
    buf.getInt();
    long generation = buf.getLong();
    long count = buf.getLong();
    for (int i = 0; i < ATTRIBUTES; i++) {
      attributes[i] = buf.getLong();
    }
    // The checksum is checked before any field is believed, so that a damaged file is reported as
    // a checksum mismatch rather than as whatever its garbage happens to look like.
    String problem = null;
    if (version != VERSION) {
      problem = "unsupported manifest version " + version + " (this build reads " + VERSION + ")";
    } else if (attributeCount != ATTRIBUTES) {
      problem = "attribute count " + attributeCount + ", expected " + ATTRIBUTES;
    } else if (count < 0 || count > (size - SNAPSHOT_HEADER_LENGTH - 4) / 16) {
      problem = "entry count " + count + " does not fit in " + size + " bytes";
    } else if (size != SNAPSHOT_HEADER_LENGTH + 16 * count + 4) {
      problem = "length " + size + " does not match " + count + " entries";
    } else if (generation < 0) {
      problem = "negative generation " + generation;
    }
    long pos = SNAPSHOT_HEADER_LENGTH;
    long end = size - 4;
    if (problem == null) {
      map.clear();
      while (pos < end) {
        buf.clear().limit((int) Math.min(IO_BUFFER, end - pos));
        readFully(ch, buf, pos, file);
        buf.flip();
        crc.update(buf.duplicate());
        pos += buf.remaining();
        while (buf.hasRemaining()) {
          long key = buf.getLong();
          long value = buf.getLong();
          if (problem != null) {
            continue;
          }
          if (key < 0) {
            problem = "negative key " + key;
          } else if (!map.put(key, value)) {
            problem = "duplicate key " + key;
          }
        }
      }
    } else {
      // Still run the checksum over the rest, to tell damage from a genuine format problem.
      while (pos < end) {
        buf.clear().limit((int) Math.min(IO_BUFFER, end - pos));
        readFully(ch, buf, pos, file);
        buf.flip();
        crc.update(buf);
        pos += buf.limit();
      }
    }
    buf.clear().limit(4);
    readFully(ch, buf, end, file);
    int stored = buf.flip().getInt();
    if (stored != (int) crc.getValue()) {
      throw new CorruptStoreException(file, "manifest snapshot checksum mismatch (CRC32C)");
    }
    if (problem != null) {
      throw new CorruptStoreException(file, "manifest snapshot: " + problem);
    }
    return generation;
  }

  /** Writes and forces a snapshot; returns its length. */
  private static long writeSnapshot(Path file, long generation, LongLongMap map, long[] attributes)
      throws IOException {
    try (FileChannel ch =
        PrivateFiles.open(
            file,
            StandardOpenOption.CREATE,
            StandardOpenOption.TRUNCATE_EXISTING,
            StandardOpenOption.WRITE)) {
      ByteBuffer buf = newBuffer(IO_BUFFER);
      CRC32C crc = new CRC32C();
      buf.put(SNAPSHOT_MAGIC)
          .putShort((short) VERSION)
          .putShort((short) ATTRIBUTES)
          .putInt(0)
          .putLong(generation)
          .putLong(map.size());
      for (long a : attributes) {
        buf.putLong(a);
      }
      long written = 0;
      LongLongMap.Cursor c = map.cursor();
      while (c.next()) {
        if (buf.remaining() < 16) {
          written += flush(ch, buf, crc);
        }
        buf.putLong(c.key()).putLong(c.value());
      }
      if (buf.remaining() < 4) {
        written += flush(ch, buf, crc);
      }
      buf.flip();
      crc.update(buf.duplicate());
      buf.position(buf.limit()).limit(buf.capacity());
      buf.putInt((int) crc.getValue());
      buf.flip();
      written += buf.remaining();
      writeFully(ch, buf);
      ch.force(true);
      return written;
    }
  }

  private static int flush(FileChannel ch, ByteBuffer buf, CRC32C crc) throws IOException {
    buf.flip();
    crc.update(buf.duplicate());
    int n = buf.remaining();
    writeFully(ch, buf);
    buf.clear();
    return n;
  }

  private static FileChannel createLog(Path file, long generation) throws IOException {
    FileChannel ch =
        PrivateFiles.open(
            file,
            StandardOpenOption.CREATE,
            StandardOpenOption.TRUNCATE_EXISTING,
            StandardOpenOption.READ,
            StandardOpenOption.WRITE);
    try {
      ByteBuffer h = newBuffer(LOG_HEADER_LENGTH);
      h.put(LOG_MAGIC).putShort((short) VERSION).putShort((short) 0).putInt(0).putLong(generation);
      h.putInt(Crc.of(h, 0, 24)).putInt(0).flip();
      writeFully(ch, h, 0);
      ch.force(true);
      return ch;
    } catch (IOException | RuntimeException e) {
      ch.close();
      throw e;
    }
  }

  private static void checkLogHeader(FileChannel ch, Path file, long generation)
      throws IOException {
    ByteBuffer h = newBuffer(LOG_HEADER_LENGTH);
    readFully(ch, h, 0, file);
    h.flip();
    byte[] magic = new byte[8];
    h.get(magic);
    if (!Arrays.equals(magic, LOG_MAGIC)) {
      throw new CorruptStoreException(file, "not a Cairn manifest log (bad magic)");
    }
    if (h.getInt(24) != Crc.of(h, 0, 24)) {
      throw new CorruptStoreException(file, "manifest log header checksum mismatch (CRC32C)");
    }
    int version = Short.toUnsignedInt(h.getShort(8));
    if (version != VERSION) {
      throw new CorruptStoreException(file, "unsupported manifest log version " + version);
    }
    long g = h.getLong(16);
    if (g != generation) {
      throw new CorruptStoreException(
          file, "manifest log is generation " + g + ", the snapshot " + generation);
    }
  }

  private record Replay(long end, long records) {}

  /**
   * Applies every intact record after the header to {@code map} and {@code attributes}, stopping at
   * the first torn one. Reads through a window big enough for the largest record, so replaying many
   * small records costs few system calls.
   */
  private static Replay replay(
      FileChannel ch, Path file, long size, LongLongMap map, long[] attributes) throws IOException {
    ByteBuffer win = newBuffer(4 * MAX_PAYLOAD + FRAME);
    long winStart = LOG_HEADER_LENGTH;
    win.limit(0);
    long pos = LOG_HEADER_LENGTH;
    long records = 0;
    while (size - pos >= FRAME) {
      if (pos + FRAME > winStart + win.limit()) {
        winStart = refill(ch, win, pos, size, file);
      }
      int at = (int) (pos - winStart);
      int n = win.getInt(at);
      if (n < 1 || n > MAX_PAYLOAD || n > size - pos - FRAME) {
        break;
      }
      if (pos + FRAME + n > winStart + win.limit()) {
        winStart = refill(ch, win, pos, size, file);
        at = 0;
      }
      if (win.getInt(at + 4) != Crc.of(win, at, at + 4, at + FRAME, at + FRAME + n)) {
        break;
      }
      String problem = validate(win, at + FRAME, at + FRAME + n);
      if (problem != null) {
        throw new CorruptStoreException(
            file,
            "manifest log record at offset "
                + pos
                + " has a valid checksum but invalid contents: "
                + problem);
      }
      apply(win, at + FRAME, at + FRAME + n, map, attributes);
      pos += FRAME + n;
      records++;
    }
    return new Replay(pos, records);
  }

  /** Fills the window from file offset {@code pos}; returns the window's new start offset. */
  private static long refill(FileChannel ch, ByteBuffer win, long pos, long size, Path file)
      throws IOException {
    win.clear().limit((int) Math.min(win.capacity(), size - pos));
    readFully(ch, win, pos, file);
    win.flip();
    return pos;
  }

  /** Checks a payload's entries; returns what is wrong, or null. */
  static String validate(ByteBuffer b, int from, int to) {
    int p = from;
    while (p < to) {
      byte type = b.get(p);
      int len =
          switch (type) {
            case PUT -> PUT_LENGTH;
            case REMOVE -> REMOVE_LENGTH;
            case ATTRIBUTE -> ATTRIBUTE_LENGTH;
            default -> -1;
          };
      if (len < 0) {
        return "unknown entry type " + type + " at payload offset " + (p - from);
      }
      if (p + len > to) {
        return "entry overruns the record at payload offset " + (p - from);
      }
      if (type == ATTRIBUTE) {
        int id = Byte.toUnsignedInt(b.get(p + 1));
        if (id >= ATTRIBUTES) {
          return "attribute id " + id + " out of range";
        }
      } else if (b.getLong(p + 1) < 0) {
        return "negative key " + b.getLong(p + 1);
      }
      p += len;
    }
    return null;
  }

  /** Applies a payload that {@link #validate} accepted. */
  private static void apply(ByteBuffer b, int from, int to, LongLongMap map, long[] attributes) {
    int p = from;
    while (p < to) {
      switch (b.get(p)) {
        case PUT -> {
          map.put(b.getLong(p + 1), b.getLong(p + 9));
          p += PUT_LENGTH;
        }
        case REMOVE -> {
          map.remove(b.getLong(p + 1));
          p += REMOVE_LENGTH;
        }
        default -> {
          attributes[Byte.toUnsignedInt(b.get(p + 1))] = b.getLong(p + 2);
          p += ATTRIBUTE_LENGTH;
        }
      }
    }
  }

  /** The value of {@code key}, or {@code absent}. */
  public synchronized long get(long key, long absent) {
    return map.get(key, absent);
  }

  public synchronized boolean contains(long key) {
    return map.containsKey(key);
  }

  /** The number of keys. */
  public synchronized int size() {
    return map.size();
  }

  /** Maps {@code key} (non-negative) to {@code value}; durable after the next {@link #sync()}. */
  public synchronized void put(long key, long value) {
    checkWritable();
    if (key < 0) {
      throw new IllegalArgumentException("negative key " + key);
    }
    map.put(key, value);
    reserve(PUT_LENGTH).put(PUT).putLong(key).putLong(value);
  }

  /** Removes {@code key}; durable after the next {@link #sync()}. Returns whether it was there. */
  public synchronized boolean remove(long key) {
    checkWritable();
    if (!map.remove(key)) {
      return false;
    }
    reserve(REMOVE_LENGTH).put(REMOVE).putLong(key);
    return true;
  }

  /** Removes every key {@code >= from}; returns how many there were. */
  public synchronized int removeAtLeast(long from) {
    checkWritable();
    long[] doomed = new long[16];
    int n = 0;
    LongLongMap.Cursor c = map.cursor();
    while (c.next()) {
      if (c.key() >= from) {
        if (n == doomed.length) {
          doomed = Arrays.copyOf(doomed, n * 2);
        }
        doomed[n++] = c.key();
      }
    }
    Arrays.sort(doomed, 0, n);
    for (int i = 0; i < n; i++) {
      remove(doomed[i]);
    }
    return n;
  }

  /** Attribute {@code id} (0 until set). */
  public synchronized long attribute(int id) {
    return attributes[id];
  }

  /** Sets attribute {@code id}; durable after the next {@link #sync()}. */
  public synchronized void setAttribute(int id, long value) {
    checkWritable();
    if (id < 0 || id >= ATTRIBUTES) {
      throw new IllegalArgumentException("attribute id " + id);
    }
    if (attributes[id] == value) {
      return;
    }
    attributes[id] = value;
    reserve(ATTRIBUTE_LENGTH).put(ATTRIBUTE).put((byte) id).putLong(value);
  }

  /** A private, consistent copy of the whole map, e.g. for a commit to read from. */
  public synchronized LongLongMap copy() {
    return map.copy();
  }

  /** A copy of all attributes. */
  public synchronized long[] attributes() {
    return attributes.clone();
  }

  /** Room for one entry in the open record, starting a new record when this one is full. */
  private ByteBuffer reserve(int entryLength) {
    if (openRecord >= 0 && pending.position() - openRecord - FRAME + entryLength > MAX_PAYLOAD) {
      closeRecord();
    }
    int need = entryLength + (openRecord < 0 ? FRAME : 0);
    if (pending.remaining() < need) {
      ByteBuffer bigger = newBuffer(Math.max(pending.capacity() * 2, pending.position() + need));
      bigger.put(pending.flip());
      pending = bigger;
    }
    if (openRecord < 0) {
      openRecord = pending.position();
      pending.putLong(0);
    }
    return pending;
  }

  /** Fills in the open record's length and checksum. */
  private void closeRecord() {
    int start = openRecord;
    int end = pending.position();
    byte[] a = pending.array();
    pending.putInt(start, end - start - FRAME);
    crc.reset();
    crc.update(a, start, 4);
    crc.update(a, start + FRAME, end - start - FRAME);
    pending.putInt(start + 4, (int) crc.getValue());
    openRecord = -1;
  }

  private void checkWritable() {
    if (readOnly) {
      throw new IllegalStateException("manifest in " + dir + " is open read-only");
    }
  }

  /**
   * The entries buffered up to one moment, framed as log records, and, for a compaction, the whole
   * map as of that same moment.
   */
  static final class Cut {
    final ByteBuffer records;
    final LongLongMap image;
    final long[] imageAttributes;
    final boolean replacing;

    Cut(ByteBuffer records, LongLongMap image, long[] imageAttributes, boolean replacing) {
      this.records = records;
      this.image = image;
      this.imageAttributes = imageAttributes;
      this.replacing = replacing;
    }

    boolean isEmpty() {
      return !records.hasRemaining() && image == null;
    }
  }

  /**
   * Makes every change made so far durable: appends the buffered entries to the log and forces it,
   * or writes a new generation when the log has grown large (see the class comment).
   */
  public void sync() throws IOException {
    commit(cut());
  }

  /** Writes a new generation now, whatever the size of the log. */
  public void compact() throws IOException {
    commit(cut(true));
  }

  /** Takes the buffered entries (and a copy of the map, when compaction is due) atomically. */
  synchronized Cut cut() {
    return cut(compactionDue());
  }

  synchronized Cut cut(boolean withImage) {
    checkWritable();
    if (openRecord >= 0) {
      closeRecord();
    }
    ByteBuffer taken = pending.flip();
    pending = spare != null ? spare : newBuffer(4096);
    spare = null;
    return withImage
        ? new Cut(taken, map.copy(), attributes.clone(), false)
        : new Cut(taken, null, null, false);
  }

  private boolean compactionDue() {
    return logEnd > Math.max(MIN_COMPACT_LOG, 2 * (snapshotBytes + 16L * map.size()));
  }

  /**
   * Makes a cut durable. Cuts must be committed in the order they were taken; callers that take
   * cuts from several threads serialise cut-and-commit themselves.
   */
  void commit(Cut cut) throws IOException {
    synchronized (syncLock) {
      checkUsable();
      if (cut.image != null) {
        try {
          writeGeneration(cut.image, cut.imageAttributes);
          recycle(cut);
          return;
        } catch (IOException e) {
          if (cut.replacing || broken) {
            throw e;
          }
          // The generation did not change, and its log is still valid: fall back to appending.
        }
      }
      if (!cut.records.hasRemaining()) {
        recycle(cut);
        return;
      }
      long at = logEnd;
      try {
        writeFully(log, cut.records.duplicate(), at);
        log.force(false);
      } catch (IOException e) {
        // A partial append must not stay in front of the records a retry appends: replay would
        // stop at it and never see them.
        try {
          log.truncate(at);
        } catch (IOException t) {
          broken = true;
          e.addSuppressed(t);
        }
        requeue(cut);
        throw e;
      }
      logEnd = at + cut.records.remaining();
      recycle(cut);
    }
  }

  /** Puts a cut that failed to commit back in front of what was buffered since. */
  private synchronized void requeue(Cut cut) {
    ByteBuffer merged = newBuffer(cut.records.remaining() + pending.capacity());
    merged.put(cut.records.duplicate());
    int shift = merged.position();
    merged.put(pending.flip());
    if (openRecord >= 0) {
      openRecord += shift;
    }
    pending = merged;
  }

  private synchronized void recycle(Cut cut) {
    if (cut.records.capacity() <= SPARE_LIMIT) {
      spare = cut.records.clear();
    }
  }

  /**
   * Replaces the whole map and all attributes by {@code newMap} and {@code newAttributes}, durably,
   * by writing a new generation. There must be no buffered changes (sync first), and the caller
   * must keep other threads from changing the manifest until this returns; on failure nothing
   * changes. The map is taken over, not copied.
   */
  void replace(LongLongMap newMap, long[] newAttributes) throws IOException {
    Cut cut;
    synchronized (this) {
      checkWritable();
      if (openRecord >= 0 || pending.position() > 0) {
        throw new IllegalStateException("manifest has unsynced changes");
      }
      cut = new Cut(newBuffer(0), newMap, newAttributes.clone(), true);
    }
    commit(cut);
    synchronized (this) {
      map = newMap;
      System.arraycopy(newAttributes, 0, attributes, 0, ATTRIBUTES);
    }
  }

  /** Steps 1–4 of the compaction protocol in the class comment. */
  private void writeGeneration(LongLongMap image, long[] imageAttributes) throws IOException {
    long next = generation + 1;
    Path temp = dir.resolve(TEMP_FILE);
    long bytes = writeSnapshot(temp, next, image, imageAttributes);
    failpoint.reached("manifest.temp-written");
    FileChannel newLog = createLog(logPath(dir, next), next);
    try {
      failpoint.reached("manifest.log-created");
      move(temp, dir.resolve(SNAPSHOT_FILE));
    } catch (IOException | RuntimeException e) {
      newLog.close();
      throw e;
    }
    // From here on the new generation may be on disk, so this object must follow it whatever
    // happens next: appending to the old log would write records that replay ignores.
    FileChannel oldLog = log;
    long oldGeneration = generation;
    log = newLog;
    generation = next;
    logEnd = LOG_HEADER_LENGTH;
    snapshotBytes = bytes;
    try {
      Fsync.directory(dir);
    } catch (IOException e) {
      // Whether the rename survives a crash is now unknown; refuse further syncs rather than
      // promise durability that may not hold.
      broken = true;
      throw e;
    } finally {
      oldLog.close();
    }
    failpoint.reached("manifest.renamed");
    try {
      Files.deleteIfExists(logPath(dir, oldGeneration));
    } catch (IOException e) {
      // Harmless: the next open deletes logs of other generations.
    }
    failpoint.reached("manifest.old-log-deleted");
  }

  private static void move(Path from, Path to) throws IOException {
    try {
      Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
    }
  }

  private void checkUsable() throws IOException {
    if (closed) {
      throw new IOException("manifest in " + dir + " is closed");
    }
    if (broken) {
      throw new IOException(
          "manifest in " + dir + " failed to write and its state on disk is unknown; reopen it");
    }
  }

  /** What opening found: records replayed and torn bytes discarded from the log's tail. */
  public Recovery recovery() {
    return recovery;
  }

  /** The current generation. */
  public long generation() {
    return generation;
  }

  /** The durable length of the current log, in bytes. */
  public long logBytes() {
    return logEnd;
  }

  /** The length of the current snapshot file, in bytes. */
  public long snapshotBytes() {
    return snapshotBytes;
  }

  /** The directory holding the manifest's files. */
  public Path directory() {
    return dir;
  }

  /** True after a failed write left the files in a state this object cannot vouch for. */
  boolean isBroken() {
    synchronized (syncLock) {
      return broken;
    }
  }

  void failpoint(Failpoint f) {
    failpoint = f;
  }

  /** Closes the log. Does not sync: changes since the last {@link #sync()} are dropped. */
  @Override
  public void close() throws IOException {
    synchronized (syncLock) {
      if (closed) {
        return;
      }
      closed = true;
      if (log != null) {
        log.close();
      }
    }
  }

  private static ByteBuffer newBuffer(int capacity) {
    return ByteBuffer.allocate(capacity).order(ByteOrder.LITTLE_ENDIAN);
  }

  static void readFully(FileChannel ch, ByteBuffer dst, long pos, Path file) throws IOException {
    long p = pos;
    while (dst.hasRemaining()) {
      int n = ch.read(dst, p);
      if (n < 0) {
        throw new CorruptStoreException(file, "file ends early at offset " + p);
      }
      p += n;
    }
  }

  private static void writeFully(FileChannel ch, ByteBuffer src) throws IOException {
    while (src.hasRemaining()) {
      ch.write(src);
    }
  }

  static void writeFully(FileChannel ch, ByteBuffer src, long pos) throws IOException {
    long p = pos;
    while (src.hasRemaining()) {
      p += ch.write(src, p);
    }
  }
}
