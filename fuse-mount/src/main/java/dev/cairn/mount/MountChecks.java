package dev.cairn.mount;

import dev.cairn.args.Human;
import dev.cairn.args.InputFiles;
import dev.cairn.args.Snapshots;
import dev.cairn.crypto.KeyRing;
import dev.cairn.delta.PrivateFiles;
import dev.cairn.error.UsageException;
import dev.cairn.format.Header;
import dev.cairn.fuse.FuseAvailability;
import dev.cairn.fuse.MountTable;
import dev.cairn.overlay.OverlayImage;
import dev.cairn.read.BlockCache;
import dev.cairn.read.ReadStats;
import dev.cairn.read.SnapshotChain;
import dev.cairn.sign.Trust;
import dev.cairn.source.RemoteByteSource;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * The checks of a mount's arguments: cache size, snapshot header, the keys of an encrypted chain,
 * mount point, overlay directory, no other serving process. {@code cairn mount} runs the cheap ones
 * before it starts a serving process, so the common mistakes get an answer without starting a JVM;
 * the serving process runs them again. Every refusal is a {@link UsageException} naming the
 * argument. Stateless.
 */
final class MountChecks {
  private MountChecks() {}

  /** Checks {@code --cache-size} against this machine's memory (see below). */
  static void checkCacheSize(long cacheSize) throws UsageException {
    checkCacheSize(cacheSize, PhysicalMemory.total());
  }

  /**
   * The block cache lives on the serving JVM's heap, which is sized from it: a cache larger than
   * the machine can hold would only swap or be killed, so at most half of physical memory is
   * accepted (the process needs another 200 MiB, and the page cache and other processes the rest).
   *
   * @param memory physical memory in bytes, or 0 if unknown (then only the minimum is checked)
   */
  static void checkCacheSize(long cacheSize, long memory) throws UsageException {
    if (cacheSize < (1 << 20)) {
      throw new UsageException("--cache-size must be at least 1M");
    }
    if (memory > 0 && cacheSize > memory / 2) {
      throw new UsageException(
          "--cache-size "
              + Human.bytes(cacheSize)
              + " is more than half of this machine's memory ("
              + Human.bytes(memory)
              + "); use at most "
              + (memory / 2 >> 20)
              + "M");
    }
  }

  /**
   * Checks SNAP: a file (see {@link #checkSnapshot}), or an http(s) or s3 URL, which is not fetched
   * here: the serving process's opening of the chain reads the object's header first and refuses a
   * missing or foreign object with the same line this check would have given, so probing it here
   * too cost every remote mount one more round trip per request it makes (and the command line the
   * load of the S3 client). Returns the absolute path or the URL. An overlay needs a local base.
   */
  static String checkSnapshotSpec(String arg, boolean withOverlay)
      throws UsageException, IOException {
    if (!RemoteByteSource.isRemote(arg)) {
      return checkSnapshot(arg).toString();
    }
    if (withOverlay) {
      throw new UsageException(arg + ": --overlay needs a local base snapshot; download it first");
    }
    return arg;
  }

  /**
   * Opens SNAP's chain with {@code keys} and {@code trust}, so that a missing or wrong key, a
   * missing signature or one by an untrusted key is said before a serving process starts (and
   * Argon2id derivations made here travel with the ring to it); returns whether any member is
   * encrypted. Without keys or trust nothing is opened: an encrypted member then fails in the
   * serving process, and the mount keeps its cheap start.
   */
  static boolean checkKeys(String snap, List<Path> parentSearch, KeyRing keys, Trust trust)
      throws UsageException, IOException {
    if (keys.isEmpty() && !trust.required()) {
      return false;
    }
    try (SnapshotChain chain =
        Snapshots.openChain(
            snap, BlockCache.withCapacity(1 << 20), new ReadStats(), parentSearch, keys, trust)) {
      return Snapshots.encrypted(chain);
    }
  }

  /**
   * Checks that SNAP is a readable file that starts with a Cairn header of a supported version;
   * returns its absolute path. The rest is checked when the serving process opens it.
   */
  static Path checkSnapshot(String arg) throws UsageException, IOException {
    Path p = InputFiles.regularFile(arg, "snapshot").toAbsolutePath().normalize();
    try (FileChannel ch = FileChannel.open(p)) {
      ByteBuffer prefix = ByteBuffer.allocate(Header.PREFIX_LENGTH);
      while (prefix.hasRemaining() && ch.read(prefix) >= 0) {
        // fill
      }
      prefix.flip();
      Header.peekLength(prefix, arg);
    }
    return p;
  }

  /**
   * Checks {@code --overlay DIR}: creates it if missing; an existing one must be a directory that
   * is empty or already an overlay. Returns its absolute path. Whether an existing overlay belongs
   * to this snapshot and is not in use is checked when it is opened.
   */
  static Path checkOverlayDir(String arg) throws UsageException, IOException {
    Path dir = Path.of(arg).toAbsolutePath().normalize();
    if (Files.exists(dir) && !Files.isDirectory(dir)) {
      throw new UsageException(arg + ": --overlay must be a directory");
    }
    if (!Files.exists(dir)) {
      try {
        PrivateFiles.createDirectory(dir);
      } catch (IOException e) {
        throw new UsageException(arg + ": cannot create the overlay directory: " + e.getMessage());
      }
      return dir;
    }
    if (!OverlayImage.isOverlay(dir)) {
      try (Stream<Path> entries = Files.list(dir)) {
        if (entries.findAny().isPresent()) {
          throw new UsageException(
              arg + ": --overlay directory is neither empty nor a Cairn overlay");
        }
      }
    }
    return dir;
  }

  /**
   * Resolves MOUNTPOINT to an absolute real path and checks that it is an existing, empty directory
   * that nothing is mounted on.
   */
  static Path checkMountPoint(String arg) throws UsageException, IOException {
    Path abs = Path.of(arg).toAbsolutePath().normalize();
    checkNotMounted(arg, abs); // first: stat of a dead FUSE mount fails
    if (!Files.exists(abs)) {
      throw new UsageException(arg + ": mount point does not exist (create an empty directory)");
    }
    if (!Files.isDirectory(abs)) {
      throw new UsageException(arg + ": mount point is not a directory");
    }
    Path real = abs.toRealPath();
    if (!real.equals(abs)) {
      checkNotMounted(arg, real);
    }
    try (Stream<Path> entries = Files.list(real)) {
      if (entries.findAny().isPresent()) {
        throw new UsageException(arg + ": mount point is not empty");
      }
    } catch (java.nio.file.AccessDeniedException e) {
      throw new UsageException(arg + ": mount point is not readable");
    }
    return real;
  }

  private static void checkNotMounted(String arg, Path p) throws UsageException, IOException {
    Optional<MountTable.Entry> e = MountTable.find(p);
    if (e.isEmpty()) {
      return;
    }
    if (e.get().isCairn()) {
      throw new UsageException(
          arg + ": a cairn snapshot is already mounted there (cairn umount " + arg + ")");
    }
    if (e.get().isFuse() && !Files.isDirectory(p)) {
      throw new UsageException(
          arg + ": a dead FUSE mount is there (fusermount -u " + arg + " to clear it)");
    }
    throw new UsageException(
        arg + ": something is already mounted there (" + e.get().fsType() + ")");
  }

  /** Refuses when FUSE cannot be used here (no /dev/fuse, no fusermount, no libfuse). */
  static void checkFuse() throws UsageException {
    Optional<String> fuse = FuseAvailability.problem();
    if (fuse.isPresent()) {
      throw new UsageException(fuse.get());
    }
  }

  /** Refuses when another live cairn process already serves or is mounting this mount point. */
  static void checkNoOtherServer(String arg, Path stateFile) throws UsageException {
    long me = ProcessHandle.current().pid();
    Optional<ProcessHandle> other =
        MountState.read(stateFile).filter(st -> st.pid() != me).flatMap(MountState::liveProcess);
    if (other.isPresent()) {
      throw new UsageException(
          arg + ": cairn process " + other.get().pid() + " is already serving it");
    }
  }
}
