package dev.cairn.overlay;

import dev.cairn.delta.DeltaStore;
import dev.cairn.delta.DirectoryLock;
import dev.cairn.delta.PrivateFiles;
import dev.cairn.delta.RecordCipher;
import dev.cairn.error.MissingKeyException;
import dev.cairn.error.MissingParentException;
import dev.cairn.error.UsageException;
import dev.cairn.error.WrongKeyException;
import dev.cairn.format.SnapshotId;
import dev.cairn.format.SnapshotSeal;
import dev.cairn.read.Snapshot;
import dev.cairn.read.StreamReader;
import java.io.Closeable;
import java.io.IOException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * An overlay directory taken for use: created or validated, locked, its base snapshot located and
 * checked, and its {@link DeltaStore} opened. This is everything {@link OverlayImage} needs before
 * it can read and write; the image then owns it and closes it last.
 *
 * <p>The directory holds {@code overlay.properties} ({@link OverlayConfig}, written last when the
 * overlay is created, so its presence marks a complete overlay), {@code lock} ({@link
 * DirectoryLock}: one process at a time) and the store's files. On an encrypted base (the top of
 * its chain opened with a key) the store is encrypted under the overlay's own key ({@link
 * OverlayKey}), and reopening checks that key before the store is touched: a plain overlay on an
 * encrypted base, or the reverse, is refused.
 *
 * <p><b>Thread safety:</b> immutable apart from {@link #close()}, which its owner calls once, with
 * the store's gate held exclusively.
 */
final class OverlayDirectory implements Closeable {
  /** Chunks are compressed in groups of this many bytes: LZ4 needs some context to be useful. */
  static final int GROUP_BYTES = 64 << 10;

  private final Path dir;
  private final OverlayConfig config;
  private final DirectoryLock lock;
  private final Snapshot base;
  private final Path basePath;
  private final SnapshotOpener baseOwner;
  private final DeltaStore store;

  private OverlayDirectory(
      Path dir,
      OverlayConfig config,
      DirectoryLock lock,
      Snapshot base,
      Path basePath,
      SnapshotOpener baseOwner,
      DeltaStore store) {
    this.dir = dir;
    this.config = config;
    this.lock = lock;
    this.base = base;
    this.basePath = basePath;
    this.baseOwner = baseOwner;
    this.store = store;
  }

  /**
   * Makes {@code dir} (created if needed, otherwise empty) an overlay on {@code base}, opened from
   * {@code baseSnapshotPath}. The caller keeps ownership of {@code base}.
   *
   * @throws FileAlreadyExistsException if {@code dir} already holds an overlay
   * @throws DirectoryNotEmptyException if {@code dir} holds anything else
   */
  static OverlayDirectory create(Path dir, Path baseSnapshotPath, Snapshot base, int chunkSize)
      throws IOException {
    Path abs = dir.toAbsolutePath().normalize();
    PrivateFiles.createDirectory(abs); // 0700: the changes are as private as the mounting user
    checkCreatable(abs);
    DirectoryLock lock = DirectoryLock.acquire(abs);
    DeltaStore store = null;
    boolean ok = false;
    try {
      checkCreatable(abs); // again, now that no one else can be creating it
      deleteStoreFiles(abs);
      StreamReader primary = base.stream(0);
      Path baseAbs = baseSnapshotPath.toAbsolutePath().normalize();
      SnapshotSeal seal = base.seal().orElse(null);
      OverlayKey key = seal == null ? null : OverlayKey.create(seal);
      store =
          DeltaStore.create(
              abs,
              chunkSize,
              Math.max(1, GROUP_BYTES / chunkSize),
              primary.size(),
              Lz4ChunkCompressor.INSTANCE,
              key == null ? RecordCipher.NONE : key.cipher(seal, abs, baseAbs));
      OverlayConfig config =
          new OverlayConfig(
              key == null ? OverlayConfig.VERSION : OverlayConfig.VERSION_ENCRYPTED,
              base.header().snapshotId(),
              abs.relativize(baseAbs).toString(),
              baseAbs.toString(),
              primary.size(),
              primary.name(),
              chunkSize,
              key);
      config.write(abs); // the commit point: from here on this is an overlay
      OverlayDirectory d = new OverlayDirectory(abs, config, lock, base, baseAbs, null, store);
      ok = true;
      return d;
    } finally {
      if (!ok) {
        abandon(store, null, null, lock);
      }
    }
  }

  /**
   * Opens the overlay in {@code dir}: reads its config, takes its lock, finds its base (the given
   * one if {@code givenBase} is not null, else through {@code opener} at the recorded paths) and
   * opens its store, repairing what a crash left unless {@code readOnly}.
   *
   * @throws dev.cairn.delta.OverlayInUseException if another process (or open) holds it
   * @throws MissingParentException if the base cannot be found, naming its id and the paths tried
   * @throws MissingKeyException if the base is encrypted and no key was given for it
   * @throws WrongKeyException if the key that opens the base is not the overlay's
   * @throws UsageException if the overlay is encrypted and its base is not, or the reverse
   */
  static OverlayDirectory open(Path dir, SnapshotOpener opener, Path givenBase, boolean readOnly)
      throws IOException {
    Path abs = dir.toAbsolutePath().normalize();
    OverlayConfig config = OverlayConfig.read(abs);
    DirectoryLock lock = DirectoryLock.acquire(abs);
    Snapshot base = null;
    DeltaStore store = null;
    SnapshotOpener owner = givenBase == null ? opener : null;
    boolean ok = false;
    try {
      Path found;
      if (givenBase != null) {
        base = opener.open(givenBase);
        found = givenBase;
        checkBase(abs, config, base, givenBase);
      } else {
        Located located = locateBase(abs, config, opener);
        base = located.base();
        found = located.path();
      }
      RecordCipher cipher = cipher(abs, config, base, found);
      store =
          readOnly
              ? DeltaStore.openReadOnly(abs, Lz4ChunkCompressor.INSTANCE, cipher)
              : DeltaStore.open(abs, Lz4ChunkCompressor.INSTANCE, cipher);
      if (store.chunkSize() != config.chunkSize()) {
        throw new IOException(
            abs
                + ": overlay store has "
                + store.chunkSize()
                + "-byte chunks, its config says "
                + config.chunkSize());
      }
      OverlayDirectory d = new OverlayDirectory(abs, config, lock, base, found, owner, store);
      ok = true;
      return d;
    } finally {
      if (!ok) {
        abandon(store, base, owner, lock);
      }
    }
  }

  /** The cipher of the overlay's store, checked against the seal {@code base} was opened with. */
  private static RecordCipher cipher(Path dir, OverlayConfig config, Snapshot base, Path where)
      throws IOException {
    SnapshotSeal seal = base.seal().orElse(null);
    if (config.key() == null && seal != null) {
      throw new UsageException(
          "overlay "
              + dir
              + " is not encrypted but its base "
              + where
              + " is; refusing to keep changes to an encrypted snapshot in the clear (start a"
              + " new overlay)");
    }
    if (config.key() != null && seal == null) {
      throw new UsageException(
          "overlay "
              + dir
              + " is encrypted but its base "
              + where
              + " is not; its "
              + OverlayConfig.FILE_NAME
              + " does not belong to this base");
    }
    return seal == null ? RecordCipher.NONE : config.key().cipher(seal, dir, where);
  }

  /** Undoes a failed create or open: closes what was opened, lock last. Nulls are skipped. */
  private static void abandon(
      DeltaStore store, Snapshot base, SnapshotOpener owner, DirectoryLock lock)
      throws IOException {
    try {
      if (store != null) {
        store.close();
      }
      if (base != null && owner != null) {
        owner.release(base);
      }
    } finally {
      lock.close();
    }
  }

  /**
   * Refuses a directory that is an overlay or holds foreign files. What an interrupted {@link
   * #create} leaves (a lock, store files, but no config) is allowed and cleared.
   */
  private static void checkCreatable(Path dir) throws IOException {
    if (OverlayConfig.exists(dir)) {
      throw new FileAlreadyExistsException(dir.toString(), null, "already a Cairn overlay");
    }
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
      for (Path p : ds) {
        if (!isStoreFile(p.getFileName().toString())) {
          throw new DirectoryNotEmptyException(
              dir + " (an overlay directory must be empty or an existing overlay)");
        }
      }
    }
  }

  private static boolean isStoreFile(String name) {
    return name.equals(DirectoryLock.FILE_NAME)
        || name.startsWith("manifest")
        || name.startsWith("spill.")
        || name.startsWith("." + OverlayConfig.FILE_NAME + ".tmp-");
  }

  private static void deleteStoreFiles(Path dir) throws IOException {
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
      for (Path p : ds) {
        String name = p.getFileName().toString();
        if (isStoreFile(name) && !name.equals(DirectoryLock.FILE_NAME)) {
          Files.delete(p);
        }
      }
    }
  }

  /** A base snapshot, opened, and where it was found. */
  private record Located(Snapshot base, Path path) {}

  /**
   * Tries the recorded relative path, then the absolute one; returns the first with the right id.
   */
  private static Located locateBase(Path dir, OverlayConfig config, SnapshotOpener opener)
      throws IOException {
    Set<Path> candidates = new LinkedHashSet<>();
    candidates.add(dir.resolve(config.baseRelativePath()).normalize());
    candidates.add(Path.of(config.baseAbsolutePath()).normalize());
    List<String> tried = new ArrayList<>();
    for (Path c : candidates) {
      if (!Files.isRegularFile(c)) {
        tried.add(c + " (missing)");
        continue;
      }
      Snapshot s;
      try {
        s = opener.open(c);
      } catch (MissingKeyException | WrongKeyException e) {
        throw e; // the base is there: the key is what the user has to give
      } catch (IOException e) {
        tried.add(c + " (" + e.getMessage() + ")");
        continue;
      }
      SnapshotId id = s.header().snapshotId();
      if (!id.equals(config.baseId())) {
        tried.add(c + " (a different snapshot, " + id + ")");
        opener.release(s);
        continue;
      }
      try {
        checkBase(dir, config, s, c);
      } catch (IOException | RuntimeException e) {
        opener.release(s);
        throw e;
      }
      return new Located(s, c);
    }
    throw new MissingParentException(
        "overlay "
            + dir
            + ": base snapshot "
            + config.baseId()
            + " not found; tried "
            + String.join(", ", tried));
  }

  private static void checkBase(Path dir, OverlayConfig config, Snapshot base, Path where)
      throws IOException {
    SnapshotId id = base.header().snapshotId();
    if (!id.equals(config.baseId())) {
      throw new MissingParentException(
          "overlay "
              + dir
              + " was made on base snapshot "
              + config.baseId()
              + ", but "
              + where
              + " is a different snapshot, "
              + id);
    }
    long size = base.stream(0).size();
    if (size != config.baseSize()) {
      throw new IOException(
          "overlay "
              + dir
              + ": base "
              + where
              + " has a primary stream of "
              + size
              + " bytes, the overlay recorded "
              + config.baseSize());
    }
  }

  /** The directory (absolute). */
  Path path() {
    return dir;
  }

  OverlayConfig config() {
    return config;
  }

  Snapshot base() {
    return base;
  }

  /** Where the base was found (absolute). */
  Path basePath() {
    return basePath;
  }

  DeltaStore store() {
    return store;
  }

  /**
   * Releases the base (if this directory opened it) and then the lock. The store is the owner's to
   * close first.
   */
  @Override
  public void close() throws IOException {
    try {
      if (baseOwner != null) {
        baseOwner.release(base);
      }
    } finally {
      lock.close();
    }
  }
}
