package dev.cairn.delta;

import dev.cairn.error.CorruptStoreException;
import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * A crash-safe persistent map from non-negative {@code long} keys (chunk indices) to {@code long}
 * values (locations), plus {@value #ATTRIBUTES} numbered {@code long} attributes whose meaning the
 * owner defines (a logical size, where a data file ends, …). The whole map lives in memory (a
 * {@link LongLongMap}); on disk it is a <em>snapshot</em> file holding the map as of some moment
 * ({@link ManifestSnapshot}) and an append-only <em>log</em> of CRC-framed changes since then
 * ({@link ManifestLog}). {@link #open(Path)} loads the snapshot and replays the log; the files and
 * the switch to a new generation are {@link ManifestFiles}'s job. Each class documents the layout
 * it reads. Given a {@link RecordCipher} other than {@link RecordCipher#NONE}, every log record and
 * the snapshot's body are sealed with AES-256-GCM.
 *
 * <h2>Durability</h2>
 *
 * {@link #put}, {@link #remove} and {@link #setAttribute} change the map at once and buffer an
 * encoded entry ({@link LogRecordBuffer}); only {@link #sync()} appends the buffered entries to the
 * log and forces it, so only changes made before a sync that returned are durable. Entries are
 * logged in the order they were made, so after a crash the map is always the state as of some
 * moment between the last completed sync and the crash. The owner must make whatever a value points
 * at durable <em>before</em> syncing the value (data, then manifest).
 *
 * <p>A crash while appending leaves a torn tail, which opening truncates (unless read-only) and
 * never reports as an error: the records it held had not been synced. A record whose checksum
 * <em>matches</em> but whose contents are invalid cannot come from a crash, so it is reported as
 * {@link CorruptStoreException} rather than thrown away; so is any damage to the snapshot file. A
 * record is all-or-nothing; a sync that buffers more than 1 MiB of entries writes several records
 * and, after a crash in the middle of it, some prefix of them survives, which is again the state as
 * of one moment.
 *
 * <h2>Compaction</h2>
 *
 * When the log has grown past twice the snapshot (and at least {@value #MIN_COMPACT_LOG} bytes), a
 * sync writes a new generation instead of appending (protocol in {@link ManifestFiles}).
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

  private static final long MIN_COMPACT_LOG = 32L << 20;

  /** What {@link #open(Path)} found in the log. */
  public record Recovery(long recordsReplayed, long bytesDiscarded) {}

  private final Path dir;
  private final boolean readOnly;

  // Guarded by this.
  private LongLongMap map;
  private final long[] attributes;
  private final LogRecordBuffer pending = new LogRecordBuffer();

  // Guarded by syncLock; its statistics may be read without it.
  private final Object syncLock = new Object();
  private final ManifestFiles files;

  private Manifest(
      Path dir, boolean readOnly, LongLongMap map, long[] attributes, ManifestFiles files) {
    this.dir = dir;
    this.readOnly = readOnly;
    this.map = map;
    this.attributes = attributes;
    this.files = files;
  }

  /**
   * Creates an empty manifest (generation 0) in {@code dir} with the given initial attributes. The
   * snapshot's rename is the commit point: a crash before it leaves no manifest.
   *
   * @throws FileAlreadyExistsException if {@code dir} already has one
   */
  public static Manifest create(Path dir, long[] initialAttributes) throws IOException {
    return create(dir, initialAttributes, RecordCipher.NONE);
  }

  /** {@link #create(Path, long[])} with its files sealed by {@code cipher}. */
  public static Manifest create(Path dir, long[] initialAttributes, RecordCipher cipher)
      throws IOException {
    if (initialAttributes.length != ATTRIBUTES) {
      throw new IllegalArgumentException("need " + ATTRIBUTES + " attributes");
    }
    ManifestFiles files = ManifestFiles.create(dir, initialAttributes, cipher);
    return new Manifest(dir, false, new LongLongMap(), initialAttributes.clone(), files);
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
    return open(dir, false, RecordCipher.NONE);
  }

  /**
   * {@link #open(Path)} of a manifest whose files {@code cipher} sealed.
   *
   * @throws CorruptStoreException also if the files are sealed and {@code cipher} is plain or the
   *     reverse, or a record with a valid checksum does not authenticate
   */
  public static Manifest open(Path dir, RecordCipher cipher) throws IOException {
    return open(dir, false, cipher);
  }

  /**
   * Opens the manifest without changing anything on disk: a torn tail is ignored rather than
   * truncated, and leftovers are not deleted. Changing or syncing it throws {@link
   * IllegalStateException}.
   */
  public static Manifest openReadOnly(Path dir) throws IOException {
    return open(dir, true, RecordCipher.NONE);
  }

  /** {@link #openReadOnly(Path)} of a manifest whose files {@code cipher} sealed. */
  public static Manifest openReadOnly(Path dir, RecordCipher cipher) throws IOException {
    return open(dir, true, cipher);
  }

  private static Manifest open(Path dir, boolean readOnly, RecordCipher cipher) throws IOException {
    LongLongMap map = new LongLongMap();
    long[] attributes = new long[ATTRIBUTES];
    ManifestFiles files = ManifestFiles.open(dir, readOnly, cipher, map, attributes);
    return new Manifest(dir, readOnly, map, attributes, files);
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
    pending.put(key, value);
  }

  /** Removes {@code key}; durable after the next {@link #sync()}. Returns whether it was there. */
  public synchronized boolean remove(long key) {
    checkWritable();
    if (!map.remove(key)) {
      return false;
    }
    pending.remove(key);
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
    pending.attribute(id, value);
  }

  /** A private, consistent copy of the whole map, e.g. for a commit to read from. */
  public synchronized LongLongMap copy() {
    return map.copy();
  }

  /** A copy of all attributes. */
  public synchronized long[] attributes() {
    return attributes.clone();
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
    ByteBuffer taken = pending.take();
    return withImage
        ? new Cut(taken, map.copy(), attributes.clone(), false)
        : new Cut(taken, null, null, false);
  }

  private boolean compactionDue() {
    return files.logBytes()
        > Math.max(MIN_COMPACT_LOG, 2 * (files.snapshotBytes() + 16L * map.size()));
  }

  /**
   * Makes a cut durable. Cuts must be committed in the order they were taken; callers that take
   * cuts from several threads serialise cut-and-commit themselves.
   */
  void commit(Cut cut) throws IOException {
    synchronized (syncLock) {
      files.checkUsable();
      if (cut.image != null) {
        try {
          files.writeGeneration(cut.image, cut.imageAttributes);
          recycle(cut);
          return;
        } catch (IOException e) {
          if (cut.replacing || files.isBroken()) {
            throw e;
          }
          // The generation did not change, and its log is still valid: fall back to appending.
        }
      }
      if (!cut.records.hasRemaining()) {
        recycle(cut);
        return;
      }
      try {
        files.append(cut.records);
      } catch (IOException e) {
        requeue(cut);
        throw e;
      }
      recycle(cut);
    }
  }

  /** Puts a cut that failed to commit back in front of what was buffered since. */
  private synchronized void requeue(Cut cut) {
    pending.requeue(cut.records);
  }

  private synchronized void recycle(Cut cut) {
    pending.recycle(cut.records);
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
      if (!pending.isEmpty()) {
        throw new IllegalStateException("manifest has unsynced changes");
      }
      cut = new Cut(LogRecordBuffer.newBuffer(0), newMap, newAttributes.clone(), true);
    }
    commit(cut);
    synchronized (this) {
      map = newMap;
      System.arraycopy(newAttributes, 0, attributes, 0, ATTRIBUTES);
    }
  }

  /** What opening found: records replayed and torn bytes discarded from the log's tail. */
  public Recovery recovery() {
    return files.recovery();
  }

  /** The current generation. */
  public long generation() {
    return files.generation();
  }

  /** The durable length of the current log, in bytes. */
  public long logBytes() {
    return files.logBytes();
  }

  /** The length of the current snapshot file, in bytes. */
  public long snapshotBytes() {
    return files.snapshotBytes();
  }

  /** The directory holding the manifest's files. */
  public Path directory() {
    return dir;
  }

  /** True after a failed write left the files in a state this object cannot vouch for. */
  boolean isBroken() {
    synchronized (syncLock) {
      return files.isBroken();
    }
  }

  void failpoint(Failpoint f) {
    files.failpoint(f);
  }

  /** Closes the log. Does not sync: changes since the last {@link #sync()} are dropped. */
  @Override
  public void close() throws IOException {
    synchronized (syncLock) {
      files.close();
    }
  }
}
