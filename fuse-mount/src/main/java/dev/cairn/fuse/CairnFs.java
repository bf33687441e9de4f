package dev.cairn.fuse;

import com.kenai.jffi.MemoryIO;
import dev.cairn.config.Tuning;
import dev.cairn.delta.DirectoryLock;
import dev.cairn.error.CorruptSnapshotException;
import dev.cairn.overlay.OverlayConfig;
import dev.cairn.overlay.OverlayImage;
import dev.cairn.read.Snapshot;
import dev.cairn.read.StreamReader;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import jnr.ffi.Pointer;
import jnr.ffi.Struct;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import ru.serce.jnrfuse.ErrorCodes;
import ru.serce.jnrfuse.FuseFillDir;
import ru.serce.jnrfuse.FuseStubFS;
import ru.serce.jnrfuse.struct.FileStat;
import ru.serce.jnrfuse.struct.FuseFileInfo;
import ru.serce.jnrfuse.struct.Statvfs;

/**
 * The FUSE filesystem of a mounted snapshot:
 *
 * <pre>
 *   /                  directory
 *   /&lt;stream name&gt;     one regular file per stream, named as recorded in the snapshot
 *   /.cairn/           directory
 *   /.cairn/stats.json live counters and mount information, rendered at open()
 * </pre>
 *
 * <p>Owner, group and modes come from a {@link MountAccess} (e.g. 0555 / 0444 / 0555 / 0444, and
 * 0644 for the primary stream when an overlay is attached); the kernel enforces them.
 *
 * <p>With an overlay, the primary stream's reads and writes go through {@link OverlayImage}; {@code
 * fsync}, {@code flush} (every close) make it durable, {@code truncate} may grow it but not shrink
 * it below the base, and the secondary stream stays read-only ({@code EROFS}). Writes and truncates
 * set the primary stream's mtime and ctime (kept in memory; a mount starts from the time of the
 * overlay's newest change, the newest modification time of its spill and manifest files).
 *
 * <p>Failed requests are logged through a {@link FailureLog}: in full once per block, repeats
 * summarised (system properties {@code cairn.log.repeatSeconds}, default 10, and {@code
 * cairn.log.linesPerSecond}, default 10).
 *
 * <p>Stream reads go straight to {@link StreamReader#read(long, ByteBuffer)} with a direct buffer
 * over the kernel's reply buffer, so a whole-block read decompresses in place. Stream files are
 * opened with {@code keep_cache} (their bytes never change); {@code stats.json} with {@code
 * direct_io}, so every open sees fresh numbers whatever size {@code getattr} reported.
 *
 * <p>Thread-safe: libfuse calls every method from many native threads at once. The mutable state is
 * the contents (set once, before mounting, through a volatile field), the table of open {@code
 * stats.json} handles (a concurrent map), the init latch, the primary stream's modification time (a
 * volatile field) and the failure log (synchronized).
 */
public final class CairnFs extends FuseStubFS {
  private static final Logger LOG = LoggerFactory.getLogger(CairnFs.class);

  static final String META_DIR = ".cairn";
  static final String STATS_NAME = "stats.json";
  static final String META_PATH = "/" + META_DIR;
  static final String STATS_PATH = META_PATH + "/" + STATS_NAME;

  private static final int O_ACCMODE = 3;
  private static final int O_RDONLY = 0;

  /**
   * Byte offset of the bit-field word in the real {@code struct fuse_file_info} on Linux x86-64;
   * jnr-fuse 0.5.8 maps its named {@code direct_io} / {@code keep_cache} fields to the wrong bytes.
   */
  static final int FILE_INFO_FLAGS_OFFSET = 20;

  static final int FLAG_DIRECT_IO = 0x1;
  static final int FLAG_KEEP_CACHE = 0x2;

  private final FailureLog failures =
      new FailureLog(
          System::nanoTime,
          Tuning.current().logRepeat(),
          Tuning.current().logLinesPerSecond(),
          LOG::warn);
  private final ConcurrentHashMap<Long, byte[]> statsHandles = new ConcurrentHashMap<>();
  private final AtomicLong nextHandle = new AtomicLong(1);
  private final CountDownLatch initialized = new CountDownLatch(1);
  private volatile Contents contents;

  /** The writable primary stream's mtime and ctime, nanoseconds since the epoch. */
  private volatile long primaryModifiedNanos;

  /** What the file system shows; fixed once attached. Immutable. */
  private static final class Contents {
    final Snapshot snapshot;
    final Map<String, StreamReader> files;

    /** Where each file's bytes come from: its stream, or the overlay for a writable primary. */
    final Map<String, Positional> sources;

    final long timeSeconds;
    final long timeNanos;
    final long totalBytes;
    final Supplier<byte[]> stats;
    final OverlayImage overlay;
    final String primaryPath;
    final MountAccess access;

    Contents(Snapshot snapshot, OverlayImage overlay, MountAccess access, Supplier<byte[]> stats) {
      this.snapshot = snapshot;
      this.overlay = overlay;
      this.access = access;
      this.primaryPath = "/" + snapshot.stream(0).name();
      Map<String, StreamReader> m = new LinkedHashMap<>();
      long total = 0;
      for (StreamReader r : snapshot.streams()) {
        m.put("/" + r.name(), r);
        total += r.size();
      }
      this.files = Map.copyOf(m);
      Map<String, Positional> src = new LinkedHashMap<>();
      for (Map.Entry<String, StreamReader> e : m.entrySet()) {
        src.put(e.getKey(), e.getValue()::read);
      }
      if (overlay != null) {
        src.put(primaryPath, overlay::read);
      }
      this.sources = Map.copyOf(src);
      this.totalBytes = total;
      long created = snapshot.header().createdMillis();
      this.timeSeconds = Math.floorDiv(created, 1000L);
      this.timeNanos = Math.floorMod(created, 1000L) * 1_000_000L;
      this.stats = stats;
    }
  }

  /**
   * Loads libfuse and registers the callbacks — the slow part of getting ready, so a serving
   * process does it while it opens the snapshot — without contents yet: {@link #attach} them before
   * mounting.
   */
  public CairnFs() {}

  /** A read-only file system showing {@code snapshot} ({@link #CairnFs()} plus {@link #attach}). */
  public CairnFs(Snapshot snapshot, MountAccess access, Supplier<byte[]> stats) {
    attach(snapshot, null, access, stats);
  }

  /**
   * Sets what the file system shows. Call once, before mounting.
   *
   * @param snapshot the open snapshot; the caller keeps ownership and closes it after unmounting
   * @param overlay serves the primary stream and makes it writable; null for a read-only mount. The
   *     caller keeps ownership of the overlay and closes it after unmounting.
   * @param access owner, group and modes of the entries
   * @param stats renders the current {@code stats.json} content; called at every open of it
   */
  public void attach(
      Snapshot snapshot, OverlayImage overlay, MountAccess access, Supplier<byte[]> stats) {
    if (contents != null) {
      throw new IllegalStateException("already attached");
    }
    Contents c = new Contents(snapshot, overlay, access, stats);
    primaryModifiedNanos =
        Math.max(
            Math.multiplyExact(c.timeSeconds, 1_000_000_000L) + c.timeNanos,
            overlay == null ? 0 : lastChange(overlay.directory()));
    contents = c;
  }

  /**
   * The newest modification time of an overlay's files other than its lock (rewritten at every
   * open) and config, in nanoseconds since the epoch; 0 if none can be read.
   */
  static long lastChange(Path overlayDir) {
    long newest = 0;
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(overlayDir)) {
      for (Path p : ds) {
        String name = p.getFileName().toString();
        if (name.equals(DirectoryLock.FILE_NAME) || name.equals(OverlayConfig.FILE_NAME)) {
          continue;
        }
        BasicFileAttributes a =
            Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        if (a.isRegularFile()) {
          newest = Math.max(newest, a.lastModifiedTime().to(TimeUnit.NANOSECONDS));
        }
      }
    } catch (IOException e) {
      LOG.debug("cannot read the modification times in {}: {}", overlayDir, e.toString());
    }
    return newest;
  }

  /** Marks the writable primary stream modified now. */
  private void modified() {
    primaryModifiedNanos = System.currentTimeMillis() * 1_000_000L;
  }

  /** Counted down by libfuse's {@code init} callback: the kernel connection is up. */
  public CountDownLatch initialized() {
    return initialized;
  }

  /**
   * Mounts with libfuse's {@code argv} and serves requests on {@code threads} threads until the
   * filesystem is unmounted (see {@link FuseLoop}). Returns 0 after a clean unmount.
   */
  int runFuse(String[] argv, int threads, int maxPages) throws InterruptedException {
    return new FuseLoop(
            Struct.getMemory(fuseOperations), Struct.size(fuseOperations), argv, threads, maxPages)
        .run();
  }

  @Override
  public Pointer init(Pointer conn) {
    initialized.countDown();
    return null;
  }

  @Override
  public int getattr(String path, FileStat stat) {
    Contents c = contents;
    if (c == null) {
      return -ErrorCodes.ENOENT();
    }
    StreamReader r = c.files.get(path);
    MountAccess a = c.access;
    if (r != null && c.overlay != null && path.equals(c.primaryPath)) {
      fill(c, stat, FileStat.S_IFREG | a.writableMode(), 1, c.overlay.size());
      stat.st_blksize.set(c.overlay.chunkSize());
      long t = primaryModifiedNanos;
      long sec = Math.floorDiv(t, 1_000_000_000L);
      long nsec = Math.floorMod(t, 1_000_000_000L);
      stat.st_mtim.tv_sec.set(sec);
      stat.st_mtim.tv_nsec.set(nsec);
      stat.st_ctim.tv_sec.set(sec);
      stat.st_ctim.tv_nsec.set(nsec);
      return 0;
    }
    if (r != null) {
      fill(c, stat, FileStat.S_IFREG | a.readOnlyMode(), 1, r.size());
      stat.st_blksize.set(r.blockSize());
      return 0;
    }
    switch (path) {
      case "/" -> fill(c, stat, FileStat.S_IFDIR | a.directoryMode(), 3, 0);
      case META_PATH -> fill(c, stat, FileStat.S_IFDIR | a.directoryMode(), 2, 0);
      case STATS_PATH ->
          fill(c, stat, FileStat.S_IFREG | a.readOnlyMode(), 1, c.stats.get().length);
      default -> {
        return -ErrorCodes.ENOENT();
      }
    }
    return 0;
  }

  private void fill(Contents c, FileStat stat, int mode, int nlink, long size) {
    stat.st_mode.set(mode);
    stat.st_nlink.set(nlink);
    stat.st_uid.set(c.access.uid());
    stat.st_gid.set(c.access.gid());
    stat.st_size.set(size);
    stat.st_blksize.set(4096);
    stat.st_blocks.set((size + 511) / 512);
    stat.st_atim.tv_sec.set(c.timeSeconds);
    stat.st_atim.tv_nsec.set(c.timeNanos);
    stat.st_mtim.tv_sec.set(c.timeSeconds);
    stat.st_mtim.tv_nsec.set(c.timeNanos);
    stat.st_ctim.tv_sec.set(c.timeSeconds);
    stat.st_ctim.tv_nsec.set(c.timeNanos);
  }

  @Override
  public int readdir(String path, Pointer buf, FuseFillDir filter, long offset, FuseFileInfo fi) {
    Contents c = contents;
    if (c == null) {
      return -ErrorCodes.ENOENT();
    }
    switch (path) {
      case "/" -> {
        add(filter, buf, ".");
        add(filter, buf, "..");
        for (StreamReader r : c.snapshot.streams()) {
          add(filter, buf, r.name());
        }
        add(filter, buf, META_DIR);
      }
      case META_PATH -> {
        add(filter, buf, ".");
        add(filter, buf, "..");
        add(filter, buf, STATS_NAME);
      }
      default -> {
        return c.files.containsKey(path) || STATS_PATH.equals(path)
            ? -ErrorCodes.ENOTDIR()
            : -ErrorCodes.ENOENT();
      }
    }
    return 0;
  }

  private static void add(FuseFillDir filter, Pointer buf, String name) {
    // jnr-fuse's String overload encodes with the platform charset and no terminating NUL.
    byte[] utf8 = name.getBytes(StandardCharsets.UTF_8);
    byte[] cstr = new byte[utf8.length + 1];
    System.arraycopy(utf8, 0, cstr, 0, utf8.length);
    filter.apply(buf, ByteBuffer.wrap(cstr), null, 0);
  }

  @Override
  public int open(String path, FuseFileInfo fi) {
    Contents c = contents;
    if (c == null) {
      return -ErrorCodes.ENOENT();
    }
    boolean stream = c.files.containsKey(path);
    boolean isStats = STATS_PATH.equals(path);
    if (!stream && !isStats) {
      return "/".equals(path) || META_PATH.equals(path)
          ? -ErrorCodes.EISDIR()
          : -ErrorCodes.ENOENT();
    }
    if ((fi.flags.get() & O_ACCMODE) != O_RDONLY && !isWritable(c, path)) {
      return -ErrorCodes.EROFS(); // only the primary stream of an overlay mount is writable
    }
    Pointer info = Struct.getMemory(fi);
    if (stream) {
      setFlag(info, FLAG_KEEP_CACHE);
      fi.fh.set(0);
      return 0;
    }
    byte[] content;
    try {
      content = c.stats.get();
    } catch (RuntimeException e) {
      LOG.warn("cannot render {}: {}", STATS_PATH, e.toString());
      return -ErrorCodes.EIO();
    }
    long handle = nextHandle.getAndIncrement();
    statsHandles.put(handle, content);
    fi.fh.set(handle);
    setFlag(info, FLAG_DIRECT_IO);
    return 0;
  }

  static void setFlag(Pointer info, int flag) {
    info.putByte(FILE_INFO_FLAGS_OFFSET, (byte) (info.getByte(FILE_INFO_FLAGS_OFFSET) | flag));
  }

  @Override
  public int release(String path, FuseFileInfo fi) {
    if (STATS_PATH.equals(path)) {
      statsHandles.remove(fi.fh.get());
    }
    return 0;
  }

  @Override
  public int read(String path, Pointer buf, long size, long offset, FuseFileInfo fi) {
    Contents c = contents;
    if (c == null) {
      return -ErrorCodes.ENOENT();
    }
    StreamReader r = c.files.get(path);
    if (r != null) {
      return readFile(c, path, r, buf, size, offset);
    }
    if (STATS_PATH.equals(path)) {
      byte[] content = statsHandles.get(fi.fh.get());
      if (content == null) {
        return -ErrorCodes.EBADF();
      }
      if (offset >= content.length) {
        return 0;
      }
      int n = (int) Math.min(size, content.length - offset);
      buf.put(0, content, (int) offset, n);
      return n;
    }
    return "/".equals(path) || META_PATH.equals(path) ? -ErrorCodes.EISDIR() : -ErrorCodes.ENOENT();
  }

  /** A positional reader: {@link StreamReader#read} or {@link OverlayImage#read}. */
  @FunctionalInterface
  private interface Positional {
    int read(long offset, ByteBuffer dst) throws IOException;
  }

  /**
   * Reads a stream (or, when writable, the overlay) straight into the kernel's reply buffer. All or
   * nothing: a short read of a page-cached FUSE file would be taken as end of file, so a damaged
   * block fails the whole request with EIO (the kernel then retries the pages the caller wanted one
   * by one).
   */
  private int readFile(
      Contents c, String path, StreamReader r, Pointer buf, long size, long offset) {
    if (offset < 0) {
      return -ErrorCodes.EINVAL();
    }
    boolean overlay = isWritable(c, path);
    long end = overlay ? c.overlay.size() : r.size();
    if (offset >= end || size <= 0) {
      return 0;
    }
    int n = (int) Math.min(Math.min(size, Integer.MAX_VALUE), end - offset);
    try {
      return fill(
          c.sources.get(path),
          offset,
          MemoryIO.getInstance().newDirectByteBuffer(buf.address(), n));
    } catch (IOException | RuntimeException | OutOfMemoryError e) {
      if (overlay) {
        return overlayError(c, "read", offset, n, e);
      }
      c.snapshot.stats().recordError();
      logReadError(c, r, offset, n, e);
      return Errno.of(e);
    }
  }

  /** Fills {@code dst} from {@code source} at {@code offset}, stopping early only at its end. */
  private static int fill(Positional source, long offset, ByteBuffer dst) throws IOException {
    int n = dst.remaining();
    int total = 0;
    while (total < n) {
      int got = source.read(offset + total, dst);
      if (got <= 0) {
        break;
      }
      total += got;
    }
    return total;
  }

  private static boolean isWritable(Contents c, String path) {
    return c.overlay != null && path.equals(c.primaryPath);
  }

  @Override
  public int write(String path, Pointer buf, long size, long offset, FuseFileInfo fi) {
    Contents c = contents;
    if (c == null || !c.files.containsKey(path)) {
      return -ErrorCodes.ENOENT();
    }
    if (!isWritable(c, path)) {
      return -ErrorCodes.EROFS();
    }
    if (offset < 0 || size < 0 || size > Integer.MAX_VALUE) {
      return -ErrorCodes.EINVAL();
    }
    try {
      ByteBuffer src = MemoryIO.getInstance().newDirectByteBuffer(buf.address(), (int) size);
      c.overlay.write(offset, src);
      modified();
      return (int) size;
    } catch (IOException | RuntimeException | OutOfMemoryError e) {
      return overlayError(c, "write", offset, size, e);
    }
  }

  @Override
  public int truncate(String path, long size) {
    Contents c = contents;
    if (c == null || !c.files.containsKey(path)) {
      return -ErrorCodes.ENOENT();
    }
    if (!isWritable(c, path)) {
      return -ErrorCodes.EROFS();
    }
    if (size < c.overlay.baseSize()) {
      // The base's bytes are the floor: a thin commit could not express a shorter image.
      LOG.warn(
          "refused to shrink {} to {} bytes: below the base snapshot's {}",
          path,
          size,
          c.overlay.baseSize());
      return -ErrorCodes.EPERM();
    }
    try {
      c.overlay.truncate(size);
      modified();
      return 0;
    } catch (IOException | RuntimeException e) {
      return overlayError(c, "truncate", size, 0, e);
    }
  }

  @Override
  public int ftruncate(String path, long size, FuseFileInfo fi) {
    return truncate(path, size);
  }

  @Override
  public int fsync(String path, int isdatasync, FuseFileInfo fi) {
    return sync(path);
  }

  /**
   * Called at every close of a descriptor. Making the overlay durable here too means that a program
   * that writes and closes (without fsync) still finds its data after a crash of the mount.
   */
  @Override
  public int flush(String path, FuseFileInfo fi) {
    return sync(path);
  }

  private int sync(String path) {
    Contents c = contents;
    if (c == null || !isWritable(c, path)) {
      return 0;
    }
    try {
      c.overlay.fsync();
    } catch (IOException | RuntimeException e) {
      return overlayError(c, "fsync", 0, 0, e);
    }
    try {
      if (c.overlay.compactIfWorthwhile()) {
        LOG.info("compacted overlay {}", c.overlay.directory());
      }
    } catch (IOException | RuntimeException e) {
      // The data is durable already; a failed compaction leaves the old spill file in place.
      LOG.warn("compacting overlay {} failed: {}", c.overlay.directory(), oneLine(e));
    }
    return 0;
  }

  @Override
  public int utimens(String path, ru.serce.jnrfuse.struct.Timespec[] timespec) {
    Contents c = contents;
    return c != null && c.files.containsKey(path) ? 0 : -ErrorCodes.ENOENT();
  }

  private int overlayError(Contents c, String op, long offset, long length, Throwable e) {
    c.snapshot.stats().recordError();
    failures.failed(
        new FailureLog.Key(op + " " + c.overlay.directory(), offset / c.overlay.chunkSize()),
        () ->
            op
                + " failed: overlay "
                + c.overlay.directory()
                + ", offset "
                + offset
                + ", length "
                + length
                + ": "
                + oneLine(e));
    LOG.debug("overlay error detail", e);
    return Errno.of(e);
  }

  private void logReadError(Contents c, StreamReader r, long offset, int length, Throwable e) {
    if (e instanceof CorruptSnapshotException x
        && x.stream() != null
        && x.block() != CorruptSnapshotException.NO_BLOCK) {
      // its message already names the snapshot, stream and block
      failures.failed(
          new FailureLog.Key(x.source() + "\0" + x.stream(), x.block()),
          () ->
              "EIO for "
                  + r.name()
                  + " (offset "
                  + offset
                  + ", length "
                  + length
                  + "): "
                  + oneLine(e));
    } else {
      long first = offset / r.blockSize();
      long last = (offset + Math.max(length, 1) - 1) / r.blockSize();
      failures.failed(
          new FailureLog.Key(c.snapshot.describe() + "\0" + r.name(), first),
          () ->
              "EIO: snapshot "
                  + c.snapshot.describe()
                  + ", stream "
                  + r.name()
                  + ", block "
                  + (first == last ? Long.toString(first) : first + "-" + last)
                  + " (offset "
                  + offset
                  + ", length "
                  + length
                  + "): "
                  + oneLine(e));
    }
    LOG.debug("read error detail", e);
  }

  /** Unmounted: the repeat counts still pending go to the log. */
  @Override
  public void destroy(Pointer initResult) {
    failures.flush();
  }

  private static String oneLine(Throwable e) {
    String m = e instanceof IOException && e.getMessage() != null ? e.getMessage() : e.toString();
    return m.replace('\n', ' ');
  }

  @Override
  public int statfs(String path, Statvfs stbuf) {
    Contents c = contents;
    if (c == null) {
      return -ErrorCodes.ENOENT();
    }
    long bsize = c.snapshot.header().blockSize();
    stbuf.f_bsize.set(bsize);
    stbuf.f_frsize.set(bsize);
    stbuf.f_blocks.set((c.totalBytes + bsize - 1) / bsize);
    stbuf.f_bfree.set(0);
    stbuf.f_bavail.set(0);
    stbuf.f_files.set(c.files.size() + 3L);
    stbuf.f_ffree.set(0);
    stbuf.f_favail.set(0);
    if (c.overlay != null) {
      try {
        FileStore store = Files.getFileStore(c.overlay.directory());
        stbuf.f_bfree.set(store.getUnallocatedSpace() / bsize);
        stbuf.f_bavail.set(store.getUsableSpace() / bsize);
        stbuf.f_blocks.set(
            Math.max((c.totalBytes + bsize - 1) / bsize, store.getTotalSpace() / bsize));
      } catch (IOException e) {
        // keep the read-only figures
      }
    } else {
      stbuf.f_flag.set(Statvfs.ST_RDONLY);
    }
    stbuf.f_namemax.set(255);
    return 0;
  }

  /** Open {@code stats.json} handles, for tests. */
  int openStatsHandles() {
    return statsHandles.size();
  }
}
