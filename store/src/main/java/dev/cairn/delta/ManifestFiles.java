package dev.cairn.delta;

import dev.cairn.io.Fsync;
import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * The files of one manifest directory and the protocol that moves them from one generation to the
 * next: which generation is current, its snapshot's length and its open {@link ManifestLog};
 * creating them, opening them (cleaning up after an interrupted compaction), and compaction.
 *
 * <p>Files: {@code manifest} is the snapshot of generation <i>G</i> ({@link ManifestSnapshot});
 * {@code manifest.log.G} the log that applies on top of it; {@code manifest.tmp} a snapshot being
 * written by a compaction, never read.
 *
 * <h2>Compaction</h2>
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
 * <p><b>Thread safety:</b> not thread-safe; the manifest serialises every call on its sync lock.
 * {@link #generation()}, {@link #logBytes()} and {@link #snapshotBytes()} may be read from any
 * thread.
 */
final class ManifestFiles implements Closeable {
  static final String TEMP_FILE = "manifest.tmp";

  private final Path dir;
  private final RecordCipher cipher;
  private final Manifest.Recovery recovery;
  private volatile Failpoint failpoint = Failpoint.NONE;
  // null only when opened read-only without a log file
  private volatile ManifestLog log;
  private volatile long generation;
  private volatile long snapshotBytes;
  private boolean broken;
  private boolean closed;

  private ManifestFiles(
      Path dir,
      RecordCipher cipher,
      ManifestLog log,
      long generation,
      long snapshotBytes,
      Manifest.Recovery recovery) {
    this.dir = dir;
    this.cipher = cipher;
    this.log = log;
    this.generation = generation;
    this.snapshotBytes = snapshotBytes;
    this.recovery = recovery;
  }

  /**
   * Creates generation 0 holding {@code attributes} and no keys, its files sealed unless {@code
   * cipher} is plain. The snapshot's rename is the commit point: a crash before it leaves no
   * manifest.
   */
  static ManifestFiles create(Path dir, long[] attributes, RecordCipher cipher) throws IOException {
    Path snapshot = dir.resolve(Manifest.SNAPSHOT_FILE);
    if (Files.exists(snapshot)) {
      throw new FileAlreadyExistsException(snapshot.toString(), null, "manifest exists");
    }
    long bytes =
        ManifestSnapshot.write(dir.resolve(TEMP_FILE), 0, new LongLongMap(), attributes, cipher);
    ManifestLog log = ManifestLog.create(ManifestLog.path(dir, 0), 0, cipher);
    try {
      move(dir.resolve(TEMP_FILE), snapshot);
      Fsync.directory(dir);
    } catch (IOException | RuntimeException e) {
      log.close();
      throw e;
    }
    return new ManifestFiles(dir, cipher, log, 0, bytes, new Manifest.Recovery(0, 0));
  }

  /**
   * Loads the current generation into {@code map} and {@code attributes}, its files sealed unless
   * {@code cipher} is plain. Unless {@code readOnly}, truncates the log's torn tail and deletes
   * what an interrupted compaction left behind.
   */
  static ManifestFiles open(
      Path dir, boolean readOnly, RecordCipher cipher, LongLongMap map, long[] attributes)
      throws IOException {
    Path snapshot = dir.resolve(Manifest.SNAPSHOT_FILE);
    long generation;
    long snapshotBytes;
    try (FileChannel ch = FileChannel.open(snapshot, StandardOpenOption.READ)) {
      snapshotBytes = ch.size();
      generation = ManifestSnapshot.read(ch, snapshot, snapshotBytes, cipher, attributes, map);
    }
    if (!readOnly) {
      deleteLeftovers(dir, generation);
    }
    Path logFile = ManifestLog.path(dir, generation);
    long size = Files.exists(logFile) ? Files.size(logFile) : -1;
    if (size >= ManifestLog.HEADER_LENGTH) {
      ManifestLog log =
          ManifestLog.open(logFile, size, generation, readOnly, cipher, map, attributes);
      return new ManifestFiles(dir, cipher, log, generation, snapshotBytes, log.recovery());
    }
    // Only a crash while creating it can leave the log missing or short, before any record could
    // have been appended to it, so starting it afresh loses nothing.
    Manifest.Recovery recovery = new Manifest.Recovery(0, Math.max(size, 0));
    if (readOnly) {
      return new ManifestFiles(dir, cipher, null, generation, snapshotBytes, recovery);
    }
    ManifestLog log = ManifestLog.create(logFile, generation, cipher);
    try {
      Fsync.directory(dir);
    } catch (IOException | RuntimeException e) {
      log.close();
      throw e;
    }
    return new ManifestFiles(dir, cipher, log, generation, snapshotBytes, recovery);
  }

  /** Deletes a half-written snapshot and the logs of every other generation. */
  private static void deleteLeftovers(Path dir, long generation) throws IOException {
    Files.deleteIfExists(dir.resolve(TEMP_FILE));
    String keep = ManifestLog.PREFIX + generation;
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, ManifestLog.PREFIX + "*")) {
      for (Path p : ds) {
        if (!p.getFileName().toString().equals(keep)) {
          Files.deleteIfExists(p);
        }
      }
    }
  }

  /** Appends and forces framed log records; see {@link ManifestLog#append}. */
  void append(ByteBuffer records) throws IOException {
    checkUsable();
    ManifestLog l = log;
    try {
      l.append(records);
    } finally {
      if (l.tailUnknown()) {
        broken = true;
      }
    }
  }

  /**
   * Steps 1–4 of the compaction protocol in the class comment: makes {@code image} and {@code
   * imageAttributes} durable as the next generation. If this throws with {@link #isBroken()} still
   * false, the current generation did not change and its log is still valid.
   */
  void writeGeneration(LongLongMap image, long[] imageAttributes) throws IOException {
    checkUsable();
    long next = generation + 1;
    Path temp = dir.resolve(TEMP_FILE);
    long bytes = ManifestSnapshot.write(temp, next, image, imageAttributes, cipher);
    failpoint.reached("manifest.temp-written");
    ManifestLog newLog = ManifestLog.create(ManifestLog.path(dir, next), next, cipher);
    try {
      failpoint.reached("manifest.log-created");
      move(temp, dir.resolve(Manifest.SNAPSHOT_FILE));
    } catch (IOException | RuntimeException e) {
      newLog.close();
      throw e;
    }
    // From here on the new generation may be on disk, so this object must follow it whatever
    // happens next: appending to the old log would write records that replay ignores.
    ManifestLog oldLog = log;
    long oldGeneration = generation;
    log = newLog;
    generation = next;
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
      Files.deleteIfExists(ManifestLog.path(dir, oldGeneration));
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

  /**
   * Throws if closed, or if a failed write left the files in a state this object cannot vouch for.
   */
  void checkUsable() throws IOException {
    if (closed) {
      throw new IOException("manifest in " + dir + " is closed");
    }
    if (broken) {
      throw new IOException(
          "manifest in " + dir + " failed to write and its state on disk is unknown; reopen it");
    }
  }

  boolean isBroken() {
    return broken;
  }

  Manifest.Recovery recovery() {
    return recovery;
  }

  long generation() {
    return generation;
  }

  long logBytes() {
    ManifestLog l = log;
    return l == null ? ManifestLog.HEADER_LENGTH : l.end();
  }

  long snapshotBytes() {
    return snapshotBytes;
  }

  void failpoint(Failpoint f) {
    failpoint = f;
  }

  @Override
  public void close() throws IOException {
    if (closed) {
      return;
    }
    closed = true;
    if (log != null) {
      log.close();
    }
  }
}
