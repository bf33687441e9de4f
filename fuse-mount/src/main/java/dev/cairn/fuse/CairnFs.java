package dev.cairn.fuse;

import dev.cairn.config.Tuning;
import dev.cairn.overlay.OverlayImage;
import dev.cairn.profile.ProfileRecorder;
import dev.cairn.read.Snapshot;
import dev.cairn.read.StreamReader;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
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
 * The FUSE file system of a mounted snapshot, the dispatch of libfuse's callbacks:
 *
 * <pre>
 *   /                  directory
 *   /&lt;stream name&gt;     one regular file per stream, named as recorded in the snapshot
 *   /.cairn/           directory
 *   /.cairn/stats.json live counters and mount information, rendered at open()
 * </pre>
 *
 * <p>This class maps a path to its node and answers for the directories and for paths that name
 * nothing (ENOENT, EISDIR, ENOTDIR, EROFS); the nodes do the rest: {@link StreamFile} (read-only
 * streams), {@link PrimaryStream} (the primary stream, writable through an overlay; the secondary
 * stream stays read-only), {@link StatsFile} ({@code stats.json}), and {@link Attributes} (owner,
 * group, modes and times from a {@link MountAccess}, which the kernel enforces; {@code statfs}).
 *
 * <p>Stream files are opened with {@code keep_cache} (their bytes never change); {@code stats.json}
 * with {@code direct_io}. Failed requests are logged through one {@link FailureLog}: in full once
 * per block, repeats summarised (system properties {@code cairn.log.repeatSeconds}, default 10, and
 * {@code cairn.log.linesPerSecond}, default 10).
 *
 * <p>Thread-safe: libfuse calls every method from many native threads at once. The mutable state is
 * the contents (set once, before mounting, through a volatile field), the init latch and what the
 * nodes keep (each thread-safe).
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
  private final CountDownLatch initialized = new CountDownLatch(1);
  private volatile Contents contents;
  private volatile ProfileRecorder recorder;

  /**
   * What the file system shows; fixed once attached.
   *
   * @param names the stream files' names, in the snapshot's order
   * @param files each stream file by path
   */
  private record Contents(
      List<String> names,
      Map<String, FileNode> files,
      Map<String, Integer> streamIndex,
      StatsFile stats,
      Attributes attributes) {}

  /**
   * Records every read of a stream file into {@code recorder} ({@code --record-profile}); null
   * records nothing. Call before mounting.
   */
  public void recordReads(ProfileRecorder recorder) {
    this.recorder = recorder;
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
    List<StreamReader> streams = snapshot.streams();
    long total = 0;
    for (StreamReader r : streams) {
      total += r.size();
    }
    Attributes attributes =
        new Attributes(
            access,
            snapshot.header().createdMillis(),
            snapshot.header().blockSize(),
            total,
            streams.size() + 3L,
            overlay == null ? null : overlay.directory());
    String primaryPath = "/" + snapshot.stream(0).name();
    Map<String, FileNode> files = new LinkedHashMap<>();
    Map<String, Integer> streamIndex = new java.util.HashMap<>();
    for (StreamReader r : streams) {
      String path = "/" + r.name();
      streamIndex.put(path, streamIndex.size());
      files.put(
          path,
          overlay != null && path.equals(primaryPath)
              ? new PrimaryStream(overlay, path, snapshot, attributes, failures)
              : new StreamFile(r, snapshot, attributes, failures));
    }
    contents =
        new Contents(
            streams.stream().map(StreamReader::name).toList(),
            Map.copyOf(files),
            Map.copyOf(streamIndex),
            new StatsFile(stats),
            attributes);
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
    FileNode f = c.files.get(path);
    if (f != null) {
      f.getattr(stat);
      return 0;
    }
    switch (path) {
      case "/" -> c.attributes.directory(stat, 3);
      case META_PATH -> c.attributes.directory(stat, 2);
      case STATS_PATH -> c.attributes.readOnlyFile(stat, c.stats.size());
      default -> {
        return -ErrorCodes.ENOENT();
      }
    }
    return 0;
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
        for (String name : c.names) {
          add(filter, buf, name);
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
    FileNode f = c.files.get(path);
    boolean isStats = STATS_PATH.equals(path);
    if (f == null && !isStats) {
      return "/".equals(path) || META_PATH.equals(path)
          ? -ErrorCodes.EISDIR()
          : -ErrorCodes.ENOENT();
    }
    if ((fi.flags.get() & O_ACCMODE) != O_RDONLY && (f == null || !f.writable())) {
      return -ErrorCodes.EROFS(); // only the primary stream of an overlay mount is writable
    }
    Pointer info = Struct.getMemory(fi);
    if (f != null) {
      setFlag(info, FLAG_KEEP_CACHE);
      fi.fh.set(0);
      return 0;
    }
    long handle = c.stats.open();
    if (handle < 0) {
      return (int) handle;
    }
    fi.fh.set(handle);
    setFlag(info, FLAG_DIRECT_IO);
    return 0;
  }

  static void setFlag(Pointer info, int flag) {
    info.putByte(FILE_INFO_FLAGS_OFFSET, (byte) (info.getByte(FILE_INFO_FLAGS_OFFSET) | flag));
  }

  @Override
  public int release(String path, FuseFileInfo fi) {
    Contents c = contents;
    if (c != null && STATS_PATH.equals(path)) {
      c.stats.release(fi.fh.get());
    }
    return 0;
  }

  @Override
  public int read(String path, Pointer buf, long size, long offset, FuseFileInfo fi) {
    Contents c = contents;
    if (c == null) {
      return -ErrorCodes.ENOENT();
    }
    FileNode f = c.files.get(path);
    if (f != null) {
      int n = f.read(buf, size, offset);
      ProfileRecorder r = recorder;
      if (r != null && n > 0) {
        r.record(c.streamIndex.get(path), offset, n);
      }
      return n;
    }
    if (STATS_PATH.equals(path)) {
      return c.stats.read(fi.fh.get(), buf, size, offset);
    }
    return "/".equals(path) || META_PATH.equals(path) ? -ErrorCodes.EISDIR() : -ErrorCodes.ENOENT();
  }

  @Override
  public int write(String path, Pointer buf, long size, long offset, FuseFileInfo fi) {
    FileNode f = node(path);
    return f == null ? -ErrorCodes.ENOENT() : f.write(buf, size, offset);
  }

  @Override
  public int truncate(String path, long size) {
    FileNode f = node(path);
    return f == null ? -ErrorCodes.ENOENT() : f.truncate(size);
  }

  @Override
  public int ftruncate(String path, long size, FuseFileInfo fi) {
    return truncate(path, size);
  }

  @Override
  public int fsync(String path, int isdatasync, FuseFileInfo fi) {
    return sync(path);
  }

  /** Called at every close of a descriptor (see {@link PrimaryStream#sync()}). */
  @Override
  public int flush(String path, FuseFileInfo fi) {
    return sync(path);
  }

  private int sync(String path) {
    FileNode f = node(path);
    return f == null ? 0 : f.sync();
  }

  @Override
  public int utimens(String path, ru.serce.jnrfuse.struct.Timespec[] timespec) {
    return node(path) != null ? 0 : -ErrorCodes.ENOENT();
  }

  /** The stream file at {@code path}, or null (nothing attached, or not a stream file). */
  private FileNode node(String path) {
    Contents c = contents;
    return c == null ? null : c.files.get(path);
  }

  /** Unmounted: the repeat counts still pending go to the log. */
  @Override
  public void destroy(Pointer initResult) {
    failures.flush();
  }

  @Override
  public int statfs(String path, Statvfs stbuf) {
    Contents c = contents;
    if (c == null) {
      return -ErrorCodes.ENOENT();
    }
    c.attributes.statfs(stbuf);
    return 0;
  }

  /** Open {@code stats.json} handles, for tests. */
  int openStatsHandles() {
    Contents c = contents;
    return c == null ? 0 : c.stats.openHandles();
  }
}
