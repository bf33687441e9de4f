package dev.cairn.write;

import com.sun.nio.file.ExtendedOpenOption;
import dev.cairn.config.Tuning;
import dev.cairn.format.BlockEntry;
import java.io.Closeable;
import java.io.EOFException;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayDeque;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Feeds a regular file's bytes to the writer.
 *
 * <p>Blocks asked for in order are served from a read-ahead thread that reads the file in {@value
 * #CHUNK}-byte chunks, with {@code O_DIRECT} where the file system allows it. Packing reads every
 * byte once, so going around the page cache saves the kernel a copy and the allocation of a page
 * cache as large as the input (which would also evict what other programs had cached). Blocks asked
 * for out of order are read directly.
 *
 * <p>Not thread-safe: the writer is its only caller; the read-ahead thread is internal.
 */
public final class FileBlockFeed implements BlockFeed, Closeable {
  static final int CHUNK = 4 << 20;
  // Four 4 MiB reads in flight: one O_DIRECT request at a time reaches only ~2/3 of the disk's
  // sequential rate on these virtio disks, four reach all of it.
  private static final int DEPTH = 4;

  private final Path path;
  private final FileChannel channel;
  private final FileChannel direct;
  private final int align;
  private final long size;
  private final int blockLog2;
  private final ExecutorService readers;
  private final ArrayDeque<ByteBuffer> free = new ArrayDeque<>();
  private final ArrayDeque<Future<Chunk>> pending = new ArrayDeque<>();
  private volatile boolean directFailed;
  private long nextChunk;
  private Chunk current;

  private FileBlockFeed(
      Path path, FileChannel channel, FileChannel direct, int align, int blockLog2)
      throws IOException {
    this.path = path;
    this.channel = channel;
    this.direct = direct;
    this.align = align;
    this.size = channel.size();
    this.blockLog2 = blockLog2;
    for (int i = 0; i < DEPTH; i++) {
      free.add(ByteBuffer.allocateDirect(CHUNK + align).alignedSlice(align));
    }
    AtomicInteger n = new AtomicInteger();
    this.readers =
        Executors.newFixedThreadPool(
            DEPTH,
            r -> {
              Thread t = new Thread(r, "cairn-read-" + n.incrementAndGet());
              t.setDaemon(true);
              return t;
            });
    // start reading now: the caller still has a writer to set up
    readAhead();
  }

  /** Opens {@code path}; its size is taken now and must not change while packing. */
  public static FileBlockFeed open(Path path, int blockLog2) throws IOException {
    FileChannel channel = FileChannel.open(path, StandardOpenOption.READ);
    FileChannel direct = null;
    int align = 1;
    try {
      if (!Tuning.current().packBuffered()) {
        align = Math.toIntExact(Files.getFileStore(path).getBlockSize());
        direct = FileChannel.open(path, StandardOpenOption.READ, ExtendedOpenOption.DIRECT);
      }
    } catch (IOException | UnsupportedOperationException | ArithmeticException e) {
      // file systems without O_DIRECT (tmpfs, some FUSE) are read through the page cache
      align = 1;
    }
    return new FileBlockFeed(path, channel, direct, align, blockLog2);
  }

  /** Whether the file is read around the page cache. */
  boolean direct() {
    return direct != null;
  }

  @Override
  public long size() {
    return size;
  }

  @Override
  public BlockEntry read(long block, ByteBuffer dst) throws IOException {
    long pos = block << blockLog2;
    // forward: give back the chunks behind pos and take the read-ahead's next ones
    while (current == null || pos >= current.end()) {
      if (current != null) {
        free.add(current.data);
        current = null;
      }
      if (pos >= size) {
        break;
      }
      current = next();
    }
    if (current != null && pos >= current.start && pos + dst.remaining() <= current.end()) {
      int from = (int) (pos - current.start);
      dst.put(current.data.duplicate().limit(from + dst.remaining()).position(from));
      return null;
    }
    readFully(channel, dst, pos, dst.remaining());
    return null;
  }

  private void readAhead() {
    while (pending.size() < DEPTH && !free.isEmpty() && nextChunk < size) {
      long start = nextChunk;
      ByteBuffer buf = free.poll();
      pending.add(readers.submit(() -> load(start, buf)));
      nextChunk += CHUNK;
    }
  }

  private Chunk next() throws IOException {
    readAhead();
    Future<Chunk> f = pending.poll();
    if (f == null) {
      throw new EOFException(path + ": read past the end");
    }
    try {
      return f.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while reading " + path);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof IOException io) {
        throw io;
      }
      throw new IOException(path + ": " + e.getCause(), e.getCause());
    }
  }

  private Chunk load(long start, ByteBuffer buf) throws IOException {
    int want = (int) Math.min(CHUNK, size - start);
    int n = 0;
    buf.clear();
    if (direct != null && !directFailed) {
      buf.limit((want + align - 1) / align * align);
      try {
        n = Math.max(0, direct.read(buf, start));
      } catch (IOException e) {
        // some file systems accept O_DIRECT at open and refuse the reads (EINVAL)
        directFailed = true;
        buf.clear();
      }
    }
    // a short direct read leaves the position unaligned, which O_DIRECT refuses: finish buffered
    if (n < want) {
      buf.limit(want);
      readFully(channel, buf, start + n, want - n);
    }
    buf.limit(want);
    return new Chunk(start, want, buf);
  }

  private void readFully(FileChannel ch, ByteBuffer dst, long pos, int length) throws IOException {
    long end = pos + length;
    while (pos < end) {
      int n = ch.read(dst, pos);
      if (n < 0) {
        throw new EOFException(path + ": file shrank while it was being packed");
      }
      pos += n;
    }
  }

  @Override
  public void close() throws IOException {
    readers.shutdownNow();
    try {
      readers.awaitTermination(1, TimeUnit.MINUTES);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    try (channel;
        FileChannel d = direct) {
      // closes both
    }
  }

  private record Chunk(long start, int length, ByteBuffer data) {
    long end() {
      return start + length;
    }
  }
}
