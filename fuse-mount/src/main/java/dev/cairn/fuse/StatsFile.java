package dev.cairn.fuse;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import jnr.ffi.Pointer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import ru.serce.jnrfuse.ErrorCodes;

/**
 * {@code /.cairn/stats.json}: live counters and mount information, rendered at every open and kept
 * per open handle, so one reader sees one consistent document however it reads it (the file is
 * opened with {@code direct_io}, so every open sees fresh numbers whatever size {@code getattr}
 * reported).
 *
 * <p>Thread-safe: the open handles are a concurrent map.
 */
final class StatsFile {
  // the file system's log lines keep one logger name, whichever class writes them
  private static final Logger LOG = LoggerFactory.getLogger(CairnFs.class);

  private final Supplier<byte[]> render;
  private final ConcurrentHashMap<Long, byte[]> handles = new ConcurrentHashMap<>();
  private final AtomicLong nextHandle = new AtomicLong(1);

  /**
   * @param render the current content; called at every open and {@code getattr}
   */
  StatsFile(Supplier<byte[]> render) {
    this.render = render;
  }

  /** The size of the content as it is now. */
  long size() {
    return render.get().length;
  }

  /** Renders the content for a new handle; returns the handle (positive) or a negative errno. */
  long open() {
    byte[] content;
    try {
      content = render.get();
    } catch (RuntimeException e) {
      LOG.warn("cannot render {}: {}", CairnFs.STATS_PATH, e.toString());
      return -ErrorCodes.EIO();
    }
    long handle = nextHandle.getAndIncrement();
    handles.put(handle, content);
    return handle;
  }

  /** Reads from what {@code handle}'s open rendered; EBADF for an unknown handle. */
  int read(long handle, Pointer buf, long size, long offset) {
    byte[] content = handles.get(handle);
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

  void release(long handle) {
    handles.remove(handle);
  }

  /** Open handles, for tests. */
  int openHandles() {
    return handles.size();
  }
}
