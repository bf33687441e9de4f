package dev.cairn.source;

import dev.cairn.config.Tuning;
import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;

/**
 * A read-only, positional source of bytes: a local file, a memory map, an HTTP object or an S3
 * object. It knows nothing about what the bytes mean.
 *
 * <p>The contract is deliberately small, in the spirit of Lucene's {@code IndexInput}: a fixed size
 * and {@link #readFully(long, ByteBuffer) positional reads} that either fill the buffer or fail.
 * There is no file pointer, so there is nothing to share or clone between threads.
 *
 * <p><b>Thread safety:</b> implementations must be safe for concurrent use by any number of
 * threads; concurrent reads never observe each other. {@link #close()} may be called while reads
 * are in flight; those reads then fail with an {@link IOException}.
 */
public interface ByteSource extends Closeable {

  /**
   * Opens a local file the fastest way this platform allows: memory-mapped under a file lease
   * ({@link MappedByteSource}), or with positional reads ({@link FileByteSource}) where no lease
   * can be taken (see {@link MappedByteSource#tryOpen}), on a 32-bit JVM, or when the system
   * property {@code cairn.mmap} is {@code false}.
   */
  static ByteSource openLocal(Path path) throws IOException {
    boolean mmap =
        Tuning.current().mmap() && !"32".equals(System.getProperty("sun.arch.data.model"));
    if (mmap) {
      ByteSource mapped = MappedByteSource.tryOpen(path);
      if (mapped != null) {
        return mapped;
      }
    }
    return FileByteSource.open(path);
  }

  /** The number of bytes in this source, fixed for its lifetime. */
  long size() throws IOException;

  /**
   * Reads exactly {@code dst.remaining()} bytes starting at {@code position} into {@code dst},
   * advancing its position to its limit.
   *
   * @throws java.io.EOFException if the range extends past {@link #size()}; nothing useful is left
   *     in {@code dst} in that case
   * @throws IllegalArgumentException if {@code position} is negative
   * @throws IOException if the underlying storage fails or the source is closed
   */
  void readFully(long position, ByteBuffer dst) throws IOException;

  /**
   * Reads the bytes at {@code position} into {@code dsts} in turn, each to its limit, as {@link
   * #readFully(long, ByteBuffer)} would read them into one buffer. This default reads once into a
   * buffer of the total and copies; a source that can fill several buffers from one request (a
   * ranged HTTP or S3 response) does so without the copy.
   */
  default void readFully(long position, ByteBuffer[] dsts) throws IOException {
    long total = 0;
    for (ByteBuffer b : dsts) {
      total += b.remaining();
    }
    if (total > Integer.MAX_VALUE) {
      throw new IllegalArgumentException("a read of " + total + " bytes");
    }
    ByteBuffer all = ByteBuffer.allocate((int) total);
    readFully(position, all);
    all.flip();
    for (ByteBuffer b : dsts) {
      int n = b.remaining();
      b.put(all.slice(all.position(), n));
      all.position(all.position() + n);
    }
  }

  /**
   * A read-only view of the {@code length} bytes at {@code position} without copying them, or null
   * if this source cannot offer one for that range now (the caller then uses {@link #readFully}). A
   * view must be handed back with {@link #release} when the caller is done with it, in a {@code
   * finally} block, and not touched after that: until then the source keeps the memory behind it
   * valid, even across {@link #close()}. A source that offers views checks the range like {@link
   * #readFully}.
   *
   * @throws java.io.EOFException if the range extends past {@link #size()}
   * @throws IllegalArgumentException if {@code position} is negative
   * @throws IOException if the source is closed
   */
  default ByteBuffer view(long position, int length) throws IOException {
    return null;
  }

  /** Ends the use of a view {@link #view} returned; once for every view that was not null. */
  default void release(ByteBuffer view) {}

  /**
   * Brings the {@code length} bytes at {@code position} into this source's caches without handing
   * them out, fetching as little around them as it can: a background fetch that knows exactly what
   * will be read (an access profile) calls this. Nothing is checked; the later read checks. The
   * default does nothing: a source with no cache has nothing to fetch ahead.
   */
  default void prefetch(long position, int length) throws IOException {}

  /**
   * Whether reading the {@code length} bytes at {@code position} now would make no request to a
   * server: they are local, or cached. The default, true, suits a source that reads local storage.
   */
  default boolean holds(long position, int length) {
    return true;
  }

  /**
   * Tells this source that the {@code length} bytes at {@code position} are about to be read in
   * several smaller reads (a read of several stored blocks, decoded one by one): a source that
   * fetches over a network fetches what it does not hold of them now, in one request where it can,
   * rather than one per smaller read. Unlike {@link #prefetch}, it fetches as a read of the whole
   * range would, and changes no policy of the source's. The default does nothing.
   */
  default void willRead(long position, int length) throws IOException {}

  /**
   * Forgets whatever this source keeps of the {@code length} bytes at {@code position}, because
   * they proved wrong (a checksum over them failed), so that the next read of them asks the storage
   * behind it again.
   *
   * @return whether reading the range again may give other bytes: false (the default) for a source
   *     that keeps no copy, such as a local file, where a second read would only repeat the first
   */
  default boolean invalidate(long position, int length) {
    return false;
  }

  /**
   * A short human-readable name of where the bytes come from (a path or a URL), used in error
   * messages.
   */
  String describe();
}
