package dev.cairn.store;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A {@link ByteSource} over a memory-mapped local file, for readers that can work on the stored
 * bytes in place ({@link #view}): a block is checksummed and decompressed straight out of the page
 * cache instead of being copied into a buffer first. Measured on a cold sequential read of a
 * snapshot through the mount, that copy of freshly read pages cost more CPU than decompressing
 * them.
 *
 * <p>The file is mapped in segments of 1 GiB that overlap by {@link #MAX_VIEW} bytes, so every
 * range up to that length lies inside one segment and is one view. Mappings are released by the
 * garbage collector, never explicitly: a read still running on another thread when the source is
 * closed keeps valid memory. The file must not shrink while mapped (snapshot files never change
 * once written): touching pages past a new end raises {@code SIGBUS}, which the JVM turns into an
 * {@link InternalError} in Java code but which ends the process inside native code (a
 * decompressor). Either way no byte that is not in the file is ever returned; a mount's {@code
 * auto_unmount} cleans up after a serving process that died.
 *
 * <p><b>Thread safety:</b> safe for concurrent use; views are independent read-only buffers.
 */
public final class MappedByteSource implements ByteSource {
  /** The longest range {@link #view} serves: larger than any stored block. */
  public static final int MAX_VIEW = 4 << 20;

  static final int SEGMENT_SHIFT = 30;

  static final int TRIM_EVERY_MIB = 8;

  private final Path path;
  private final long size;
  private final MappedByteBuffer[] segments;
  private final AtomicLong sinceTrim = new AtomicLong();
  // Segments viewed since the last trim (racy flags: a missed one is trimmed next time), so that
  // trimming a mapping of a large file costs a call per segment in use, not per segment.
  private final boolean[] touched;
  private volatile boolean closed;

  private MappedByteSource(Path path, long size, MappedByteBuffer[] segments) {
    this.path = path;
    this.size = size;
    this.segments = segments;
    this.touched = new boolean[segments.length];
  }

  /** Maps {@code path} read-only. The file's size is taken once, at open. */
  public static MappedByteSource open(Path path) throws IOException {
    try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
      long size = ch.size();
      int n = (int) ((size + (1L << SEGMENT_SHIFT) - 1) >>> SEGMENT_SHIFT);
      MappedByteBuffer[] segments = new MappedByteBuffer[n];
      for (int i = 0; i < n; i++) {
        long start = (long) i << SEGMENT_SHIFT;
        long length = Math.min(size - start, (1L << SEGMENT_SHIFT) + MAX_VIEW);
        segments[i] = ch.map(FileChannel.MapMode.READ_ONLY, start, length);
      }
      return new MappedByteSource(path, size, segments);
    }
  }

  @Override
  public long size() {
    return size;
  }

  @Override
  public void readFully(long position, ByteBuffer dst) throws IOException {
    check(position, dst.remaining());
    long pos = position;
    while (dst.hasRemaining()) {
      int n = (int) Math.min(dst.remaining(), MAX_VIEW);
      dst.put(slice(pos, n));
      pos += n;
    }
  }

  @Override
  public ByteBuffer view(long position, int length) throws IOException {
    if (length > MAX_VIEW) {
      return null;
    }
    check(position, length);
    if (sinceTrim.addAndGet(length) > (long) TRIM_EVERY_MIB << 20) {
      sinceTrim.set(0);
      trim();
    }
    return slice(position, length);
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
    if (closed) {
      throw new ClosedChannelException();
    }
    if (position < 0) {
      throw new IllegalArgumentException("negative position " + position);
    }
    if (position + length > size || position + length < 0) {
      throw new EOFException(
          path + ": read of " + length + " bytes at " + position + " past end " + size);
    }
  }

  @Override
  public String describe() {
    return path.toString();
  }

  @Override
  public void close() {
    closed = true;
  }
}
