package dev.cairn.cli;

import dev.cairn.delta.PrivateFiles;
import dev.cairn.error.UsageException;
import dev.cairn.format.Header;
import dev.cairn.fuse.FuseAvailability;
import dev.cairn.fuse.MountTable;
import dev.cairn.mount.MountState;
import dev.cairn.mount.RuntimeDir;
import dev.cairn.overlay.OverlayImage;
import dev.cairn.source.RemoteByteSource;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code cairn mount SNAP MOUNTPOINT}: checks what it can cheaply, then starts the serving process
 * (this jar again, detached, logging to a file; see {@link ServeLauncher}) and returns once the
 * files are readable. With {@code --foreground} it serves in this process until unmounted or
 * interrupted.
 */
@Command(
    name = "mount",
    mixinStandardHelpOptions = true,
    description = {
      "Mount a snapshot: each stream appears as a file in MOUNTPOINT (read-only, or writable"
          + " with --overlay).",
      "MOUNTPOINT/.cairn/stats.json has live counters. Returns once the files are readable;"
          + " the serving process runs in the background until 'cairn umount MOUNTPOINT'."
    })
final class MountCommand implements Callable<Integer> {
  static final Duration READY_TIMEOUT = Duration.ofSeconds(30);

  @Mixin GlobalOptions global;

  @Mixin ParentSearch parentSearch;

  @Parameters(
      index = "0",
      paramLabel = "SNAP",
      description = "Snapshot file, http(s) URL or s3://BUCKET/KEY.")
  String snap;

  @Parameters(index = "1", paramLabel = "MOUNTPOINT", description = "An existing, empty directory.")
  String mountPoint;

  @Option(
      names = "--cache-size",
      paramLabel = "SIZE",
      converter = SizeConverter.class,
      defaultValue = "256M",
      description = "Decompressed-block cache (default: ${DEFAULT-VALUE}).")
  long cacheSize;

  @Option(
      names = "--overlay",
      paramLabel = "DIR",
      description =
          "Make the primary stream writable, keeping the changes in DIR (created if missing; an"
              + " existing DIR must be empty or an overlay of this snapshot).")
  String overlay;

  @Option(
      names = "--uid",
      paramLabel = "USER",
      description =
          "Owner of the mounted files, a name or number (default: the snapshot file's owner;"
              + " the mounting user for a URL).")
  String uid;

  @Option(
      names = "--gid",
      paramLabel = "GROUP",
      description =
          "Group of the mounted files, a name or number (default: the snapshot file's group;"
              + " the mounting user's for a URL).")
  String gid;

  @Option(
      names = "--mode",
      paramLabel = "MODE",
      description =
          "Octal mode of the stream files, e.g. 0644 to let every local user read them"
              + " (default: the snapshot file's read bits, 0400 for a URL; plus the owner's"
              + " write bit for the primary stream with --overlay).")
  String mode;

  @Option(
      names = "--foreground",
      description = "Serve in this process (log to stderr) until unmounted or interrupted.")
  boolean foreground;

  private AccessOptions access = AccessOptions.NONE;

  @Override
  public Integer call() throws Exception {
    checkCacheSize(cacheSize);
    access = AccessOptions.parse(uid, gid, mode);
    if (foreground) {
      if (System.getProperty("org.slf4j.simpleLogger.log.dev.cairn") == null) {
        // before the first logger exists: lifecycle lines at info, everything with --debug
        System.setProperty("org.slf4j.simpleLogger.log.dev.cairn", global.debug ? "debug" : "info");
      }
      return new MountServer(
              new MountServer.Config(
                  snap,
                  mountPoint,
                  cacheSize,
                  global.debug,
                  null,
                  null,
                  overlay == null ? null : Path.of(overlay),
                  parentSearch.dirs(),
                  access))
          .serve();
    }
    // The serving process repeats these checks (and opens the snapshot fully); doing the cheap
    // ones here too gives the common mistakes an answer without starting a JVM.
    String snapSpec = checkSnapshotSpec(snap, overlay != null);
    Path mnt = checkMountPoint(mountPoint);
    Path overlayDir = overlay == null ? null : checkOverlayDir(overlay);
    Optional<String> fuse = FuseAvailability.problem();
    if (fuse.isPresent()) {
      throw new UsageException(fuse.get());
    }
    RuntimeDir dirs = RuntimeDir.forCurrentUser();
    dirs.ensure();
    checkNoOtherServer(mountPoint, dirs.stateFile(mnt));
    return ServeLauncher.launch(this, snapSpec, mnt, overlayDir, dirs);
  }

  /** The parsed {@code --uid}, {@code --gid} and {@code --mode} (after {@link #call()} began). */
  AccessOptions access() {
    return access;
  }

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
   * Checks that SNAP is a readable file that starts with a Cairn header of a supported version;
   * returns its absolute path. The rest is checked when the serving process opens it.
   */
  /**
   * Checks SNAP, a file (see {@link #checkSnapshot}) or an http(s) or s3 URL whose object starts
   * with a Cairn header; returns the absolute path or the URL. An overlay needs a local base.
   */
  static String checkSnapshotSpec(String arg, boolean withOverlay)
      throws UsageException, IOException {
    if (!RemoteByteSource.isRemote(arg)) {
      return checkSnapshot(arg).toString();
    }
    if (withOverlay) {
      throw new UsageException(arg + ": --overlay needs a local base snapshot; download it first");
    }
    try (dev.cairn.source.ByteSource source = Snapshots.openSource(arg)) {
      dev.cairn.read.Snapshot.readHeader(source);
    }
    return arg;
  }

  static Path checkSnapshot(String arg) throws UsageException, IOException {
    Path p = Inputs.regularFile(arg, "snapshot").toAbsolutePath().normalize();
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
