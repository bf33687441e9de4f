package dev.cairn.source;

import dev.cairn.error.SourceChangedException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * A {@link ByteSource} over a memory-mapped local file, for readers that can work on the stored
 * bytes in place ({@link #view}): a block is checksummed and decompressed straight out of the page
 * cache instead of being copied into a buffer first. Measured on a cold sequential read of a
 * snapshot through the mount, that copy of freshly read pages cost more CPU than decompressing
 * them.
 *
 * <p>The file is mapped in segments of 1 GiB that overlap by {@link #MAX_VIEW} bytes, so every
 * range up to that length lies inside one segment and is one view. Mappings are released by the
 * garbage collector, never explicitly.
 *
 * <p>Touching a mapped page past the file's end raises {@code SIGBUS}, which ends the process
 * inside native code (the CRC32C stub, a decompressor). So the file is mapped only under a {@link
 * FileLease}: another process that opens it for writing or truncates it waits in the kernel until
 * the {@link LeaseWatcher} has seen the pending break, this source has stopped handing out views,
 * every view already handed out has been {@link #release released}, and the lease is given up. From
 * then on reads are positional ({@code pread}), checked against the ctime the file had when it was
 * leased: once it has shrunk or been written to, every read fails with a {@link
 * SourceChangedException}, so bytes of a rewritten file are not taken for this file's. A writer
 * that gave up (coreutils {@code truncate} opens without waiting and fails with {@code EAGAIN})
 * leaves the file as it was, and reads go on.
 *
 * <p><b>Thread safety:</b> safe for concurrent use; views are independent read-only buffers. A
 * thread must not {@link #close} the source while it holds a view itself (close waits for views).
 */
public final class MappedByteSource implements ByteSource {
  /** The longest range {@link #view} serves: larger than any stored block. */
  public static final int MAX_VIEW = 4 << 20;

  static final int SEGMENT_SHIFT = 30;

  static final int TRIM_EVERY_MIB = 8;

  private final Path path;
  private final long size;
  private final MappedByteBuffer[] segments;
  private final FileLease lease;
  private final FileTime ctime;
  private final FileByteSource positional;
  // Readers of the mapping right now (views not yet released, copies in progress). A reader
  // counts itself in before it reads `mapped`; unmap() clears `mapped` before it reads the count:
  // with both volatile, either the reader sees the mapping gone or unmap() waits for it.
  private final AtomicInteger inUse = new AtomicInteger();
  private final AtomicLong sinceTrim = new AtomicLong();
  // Segments viewed since the last trim (racy flags: a missed one is trimmed next time), so that
  // trimming a mapping of a large file costs a call per segment in use, not per segment.
  private final boolean[] touched;
  private volatile boolean mapped = true;
  private volatile boolean closed;

  private MappedByteSource(
      Path path,
      long size,
      MappedByteBuffer[] segments,
      FileLease lease,
      FileTime ctime,
      FileByteSource positional) {
    this.path = path;
    this.size = size;
    this.segments = segments;
    this.lease = lease;
    this.ctime = ctime;
    this.positional = positional;
    this.touched = new boolean[segments.length];
  }

  /**
   * Maps {@code path} read-only under a file lease.
   *
   * @throws IOException if it cannot be opened, leased or mapped
   */
  public static MappedByteSource open(Path path) throws IOException {
    MappedByteSource s = tryOpen(path);
    if (s == null) {
      FileByteSource.open(path).close(); // the usual exception if it cannot even be read
      throw new FileSystemException(
          path.toString(), null, "cannot take a read lease on it, so it is not mapped");
    }
    return s;
  }

  /**
   * Maps {@code path} read-only under a file lease, or returns null if no lease can be taken (not
   * Linux, not the file's owner and no {@code CAP_LEASE}, a file system without leases, the file
   * open for writing somewhere) or the file system cannot map files. The file's size is taken once,
   * under the lease.
   */
  public static MappedByteSource tryOpen(Path path) throws IOException {
    FileLease lease = FileLease.take(path);
    if (lease == null) {
      return null;
    }
    MappedByteSource s = null;
    FileByteSource positional = null;
    try {
      FileTime ctime = (FileTime) Files.getAttribute(lease.path(), "unix:ctime");
      positional = FileByteSource.open(lease.path(), path.toString());
      try (FileChannel ch = FileChannel.open(lease.path(), StandardOpenOption.READ)) {
        long size = ch.size();
        int n = (int) ((size + (1L << SEGMENT_SHIFT) - 1) >>> SEGMENT_SHIFT);
        MappedByteBuffer[] segments = new MappedByteBuffer[n];
        for (int i = 0; i < n; i++) {
          long start = (long) i << SEGMENT_SHIFT;
          long length = Math.min(size - start, (1L << SEGMENT_SHIFT) + MAX_VIEW);
          segments[i] = ch.map(FileChannel.MapMode.READ_ONLY, start, length);
        }
        s = new MappedByteSource(path, size, segments, lease, ctime, positional);
      }
    } catch (IOException | UnsupportedOperationException e) {
      // e.g. ENODEV: a file system that cannot map; /proc missing. Positional reads work anywhere.
    } finally {
      if (s == null) {
        if (positional != null) {
          positional.close();
        }
        lease.close();
      }
    }
    if (s != null) {
      LeaseWatcher.watch(s);
    }
    return s;
  }

  @Override
  public long size() {
    return size;
  }

  @Override
  public void readFully(long position, ByteBuffer dst) throws IOException {
    check(position, dst.remaining());
    if (enter()) {
      try {
        long pos = position;
        while (dst.hasRemaining()) {
          int n = (int) Math.min(dst.remaining(), MAX_VIEW);
          dst.put(slice(pos, n));
          pos += n;
        }
        return;
      } finally {
        inUse.decrementAndGet();
      }
    }
    try {
      positional.readFully(position, dst);
    } catch (SourceChangedException e) {
      throw changed(e);
    }
    // After the data: a write or truncation that could have reached it moved the ctime first.
    if (!ctime.equals(Files.getAttribute(lease.path(), "unix:ctime"))) {
      throw changed(null);
    }
  }

  private SourceChangedException changed(Throwable cause) {
    SourceChangedException e =
        new SourceChangedException(path.toString(), "file changed by another process while open");
    e.initCause(cause);
    return e;
  }

  @Override
  public ByteBuffer view(long position, int length) throws IOException {
    if (length > MAX_VIEW) {
      return null;
    }
    check(position, length);
    if (!enter()) {
      return null;
    }
    if (sinceTrim.addAndGet(length) > (long) TRIM_EVERY_MIB << 20) {
      sinceTrim.set(0);
      trim();
    }
    return slice(position, length);
  }

  @Override
  public void release(ByteBuffer view) {
    inUse.decrementAndGet();
  }

  /** Counts the caller in as a reader of the mapping, or returns false if it is gone. */
  private boolean enter() {
    inUse.incrementAndGet();
    if (mapped) {
      return true;
    }
    inUse.decrementAndGet();
    return false;
  }

  /** True if this source reads through its mapping (false once its lease has been broken). */
  boolean isMapped() {
    return mapped;
  }

  /**
   * For the {@link LeaseWatcher}: gives the mapping and the lease up if another process is waiting
   * for the lease. Returns true once there is nothing left to watch.
   */
  synchronized boolean checkLease() {
    if (!mapped) {
      return true;
    }
    if (lease.held()) {
      return false;
    }
    unmap();
    return true;
  }

  private synchronized void unmap() {
    mapped = false;
    while (inUse.get() != 0) {
      LockSupport.parkNanos(20_000);
    }
    lease.release();
  }

  /** Unmaps every page of the mapping from the page tables; the file's pages stay cached. */
  void trim() {
    for (int i = 0; i < segments.length; i++) {
      if (touched[i]) {
        touched[i] = false;
        Madvise.dontNeed(segments[i]);
      }
    }
  }

  private ByteBuffer slice(long position, int length) {
    int i = (int) (position >>> SEGMENT_SHIFT);
    MappedByteBuffer segment = segments[i];
    if (!touched[i]) {
      touched[i] = true;
    }
    int at = (int) (position & ((1L << SEGMENT_SHIFT) - 1));
    return segment.slice(at, length).asReadOnlyBuffer();
  }

  private void check(long position, int length) throws IOException {
    RangeCheck.check(closed, path.toString(), size, position, length);
  }

  @Override
  public String describe() {
    return path.toString();
  }

  @Override
  public void close() throws IOException {
    closed = true;
    LeaseWatcher.unwatch(this);
    unmap();
    positional.close();
    lease.close();
  }
}
