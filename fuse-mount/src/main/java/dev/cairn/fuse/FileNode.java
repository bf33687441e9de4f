package dev.cairn.fuse;

import jnr.ffi.Pointer;
import ru.serce.jnrfuse.struct.FileStat;

/**
 * A stream file of a mount as {@link CairnFs}'s dispatch sees it: a read-only stream ({@link
 * StreamFile}) or the primary stream made writable by an overlay ({@link PrimaryStream}). Every
 * method returns 0 or a count on success and a negative errno on failure, as libfuse expects.
 *
 * <p>Implementations are thread-safe: libfuse calls them from many native threads at once.
 */
sealed interface FileNode permits StreamFile, PrimaryStream {
  /** Whether the file may be opened for writing. */
  boolean writable();

  /** Fills {@code stat} with the file's attributes. */
  void getattr(FileStat stat);

  /** Reads up to {@code size} bytes at {@code offset} into the kernel's reply buffer. */
  int read(Pointer buf, long size, long offset);

  /** Writes {@code size} bytes at {@code offset} from the kernel's request buffer. */
  int write(Pointer buf, long size, long offset);

  /** Sets the file's size. */
  int truncate(long size);

  /** Makes written data durable (fsync, and every close of a descriptor). */
  int sync();
}
