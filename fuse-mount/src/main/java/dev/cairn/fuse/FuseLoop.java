package dev.cairn.fuse;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import jnr.ffi.LibraryLoader;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;
import jnr.ffi.byref.IntByReference;
import jnr.ffi.byref.PointerByReference;
import jnr.ffi.types.size_t;
import jnr.ffi.types.ssize_t;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * libfuse 2.9's request loop driven by a fixed set of Java threads, in place of {@code
 * fuse_main_real}'s own loops.
 *
 * <p>Why: libfuse's multithreaded loop starts and stops native worker threads as the load changes,
 * and each new native thread entering a Java callback must be attached to the JVM (thousands of
 * attaches in one cold read of a disk image); its single-threaded loop serves one request at a time
 * and leaves the second core idle while the kernel's read-ahead has several requests queued. Here
 * {@code fuse_setup} mounts and builds the {@code struct fuse} exactly as {@code fuse_main_real}
 * would, then {@code threads} Java threads — attached once, for good — each run the loop body of
 * {@code fuse_session_loop}: receive a request into their own buffer, process it (which calls back
 * into {@link CairnFs} on the same thread). Unmounting makes every blocked receive return {@code
 * ENODEV}, so all workers end by themselves; the last one out calls {@code fuse_teardown}.
 *
 * <p>Layout of libfuse 2.9's {@code struct fuse_buf} on Linux x86-64 (40 bytes), filled by hand
 * because jnr-fuse does not map it:
 *
 * <pre>
 *   0  size_t size     bytes the buffer can take; set to the bytes received
 *   8  int    flags    0: memory buffer
 *  16  void  *mem
 *  24  int    fd       unused for memory buffers
 *  32  off_t  pos      unused for memory buffers
 * </pre>
 *
 * <p>Thread-safe: {@link #run()} may be called once.
 */
final class FuseLoop {
  private static final Logger LOG = LoggerFactory.getLogger(FuseLoop.class);

  private static final int FUSE_BUF_SIZE = 40;
  private static final int EINTR = 4;
  static final int DEFAULT_MAX_PAGES = 32;

  /** The libfuse 2.9 entry points the loop needs beyond those jnr-fuse binds. */
  public interface Lib {
    Pointer fuse_setup(
        int argc,
        Pointer argv,
        Pointer op,
        @size_t long opSize,
        PointerByReference mountpoint,
        IntByReference multithreaded,
        Pointer userData);

    Pointer fuse_get_session(Pointer fuse);

    Pointer fuse_session_next_chan(Pointer se, Pointer ch);

    @size_t
    long fuse_chan_bufsize(Pointer ch);

    int fuse_session_receive_buf(Pointer se, Pointer buf, Pointer chSlot);

    void fuse_session_process_buf(Pointer se, Pointer buf, Pointer ch);

    int fuse_session_exited(Pointer se);

    void fuse_session_exit(Pointer se);

    void fuse_teardown(Pointer fuse, Pointer mountpoint);

    int fuse_chan_fd(Pointer ch);

    /** libc's, found through libfuse's dependencies: one library to load, not two. */
    @ssize_t
    long writev(int fd, Pointer iov, int count);
  }

  private final Lib lib;
  private final Runtime runtime;
  private final Pointer operations;
  private final long operationsSize;
  private final String[] argv;
  private final int threads;
  private final int maxPages;

  /**
   * @param operations the {@code struct fuse_operations} that jnr-fuse filled in
   * @param operationsSize its size in bytes
   * @param argv libfuse's argument vector; must contain {@code -f} (no daemonizing)
   * @param threads worker threads, at least 1
   * @param maxPages the largest request the kernel may send, in 4 KiB pages (32 = libfuse 2.9's 128
   *     KiB; up to 256)
   */
  FuseLoop(Pointer operations, long operationsSize, String[] argv, int threads, int maxPages) {
    if (threads < 1) {
      throw new IllegalArgumentException("threads " + threads);
    }
    if (maxPages < DEFAULT_MAX_PAGES || maxPages > InitReplyPatch.MAX_MAX_PAGES) {
      throw new IllegalArgumentException("maxPages " + maxPages);
    }
    this.lib = LibraryLoader.create(Lib.class).failImmediately().load("fuse");
    this.runtime = Runtime.getRuntime(lib);
    this.operations = operations;
    this.operationsSize = operationsSize;
    this.argv = argv.clone();
    this.threads = threads;
    this.maxPages = maxPages;
  }

  /**
   * Mounts, serves requests until the file system is unmounted, and tears down. Returns 0 after a
   * clean unmount, 1 if libfuse could not mount (its reason is on stderr).
   */
  int run() throws InterruptedException {
    // argv stays allocated for the whole mount: libfuse may keep pointers into it.
    List<Pointer> keep = new ArrayList<>();
    Pointer args = Memory.allocateDirect(runtime, (argv.length + 1) * runtime.addressSize(), true);
    keep.add(args);
    for (int i = 0; i < argv.length; i++) {
      byte[] s = argv[i].getBytes(StandardCharsets.UTF_8);
      Pointer p = Memory.allocateDirect(runtime, s.length + 1, true);
      p.put(0, s, 0, s.length);
      keep.add(p);
      args.putPointer((long) i * runtime.addressSize(), p);
    }
    PointerByReference mountpoint = new PointerByReference();
    IntByReference multithreaded = new IntByReference();
    Pointer fuse =
        lib.fuse_setup(
            argv.length, args, operations, operationsSize, mountpoint, multithreaded, null);
    if (fuse == null) {
      return 1;
    }
    Pointer se = lib.fuse_get_session(fuse);
    Pointer ch = lib.fuse_session_next_chan(se, null);
    // room for the largest write the kernel may send (max_write plus the request headers)
    long bufSize = Math.max(lib.fuse_chan_bufsize(ch), (long) maxPages * 4096 + 8192);
    InitReplyPatch patch =
        maxPages > DEFAULT_MAX_PAGES ? InitReplyPatch.install(lib, ch, maxPages) : null;
    List<Thread> workers = new ArrayList<>();
    for (int i = 1; i < threads; i++) {
      Thread t = new Thread(() -> serve(se, ch, bufSize), "fuse-worker-" + i);
      t.setDaemon(true);
      t.start();
      workers.add(t);
    }
    serve(se, ch, bufSize);
    for (Thread t : workers) {
      t.join();
    }
    if (patch != null) {
      patch.release(); // before teardown frees the channel
    }
    lib.fuse_teardown(fuse, mountpoint.getValue());
    keep.clear();
    return 0;
  }

  private void serve(Pointer se, Pointer ch, long bufSize) {
    Pointer buf = Memory.allocateDirect(runtime, FUSE_BUF_SIZE, true);
    Pointer mem = Memory.allocateDirect(runtime, bufSize);
    Pointer chSlot = Memory.allocateDirect(runtime, runtime.addressSize(), true);
    try {
      while (lib.fuse_session_exited(se) == 0) {
        buf.putLong(0, bufSize);
        buf.putInt(8, 0);
        buf.putPointer(16, mem);
        chSlot.putPointer(0, ch);
        int res = lib.fuse_session_receive_buf(se, buf, chSlot);
        if (res == -EINTR) {
          continue;
        }
        if (res <= 0) {
          break;
        }
        lib.fuse_session_process_buf(se, buf, chSlot.getPointer(0));
      }
    } catch (RuntimeException | Error e) {
      LOG.error("FUSE worker {} failed: {}", Thread.currentThread().getName(), e.toString());
      throw e;
    } finally {
      // One worker leaving (unmount, or a failure) ends them all: the others see the flag, or
      // ENODEV from their blocked receive once the kernel connection goes.
      lib.fuse_session_exit(se);
    }
  }
}
