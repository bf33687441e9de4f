package dev.cairn.fuse;

import dev.cairn.error.CorruptSnapshotException;
import dev.cairn.read.Snapshot;
import dev.cairn.read.StreamReader;
import jnr.ffi.Pointer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import ru.serce.jnrfuse.ErrorCodes;
import ru.serce.jnrfuse.struct.FileStat;

/**
 * A read-only stream file: reads go straight to {@link StreamReader#read} (through {@link
 * KernelReads}); writes and truncates are {@code EROFS}. A damaged block fails that read with EIO,
 * is counted in the snapshot's statistics, and is logged through the mount's {@link FailureLog}
 * (once in full, repeats summarised); everything else stays readable.
 *
 * <p>Thread-safe: immutable apart from the shared failure log (synchronized).
 */
final class StreamFile implements FileNode {
  // the file system's log lines keep one logger name, whichever class writes them
  private static final Logger LOG = LoggerFactory.getLogger(CairnFs.class);

  private final StreamReader reader;
  private final Snapshot snapshot;
  private final Attributes attributes;
  private final FailureLog failures;

  // made once, so that a read allocates nothing of its own
  private final KernelReads.Positional source;
  private final KernelReads.Failure onFailure;

  StreamFile(StreamReader reader, Snapshot snapshot, Attributes attributes, FailureLog failures) {
    this.reader = reader;
    this.snapshot = snapshot;
    this.attributes = attributes;
    this.failures = failures;
    this.source = reader::read;
    this.onFailure = this::readFailed;
  }

  @Override
  public boolean writable() {
    return false;
  }

  @Override
  public void getattr(FileStat stat) {
    attributes.readOnlyFile(stat, reader.size());
    stat.st_blksize.set(reader.blockSize());
  }

  @Override
  public int read(Pointer buf, long size, long offset) {
    return KernelReads.read(source, reader.size(), onFailure, buf, size, offset);
  }

  @Override
  public int write(Pointer buf, long size, long offset) {
    return -ErrorCodes.EROFS();
  }

  @Override
  public int truncate(long size) {
    return -ErrorCodes.EROFS();
  }

  @Override
  public int sync() {
    return 0;
  }

  private int readFailed(long offset, int length, Throwable e) {
    snapshot.stats().recordError();
    if (e instanceof CorruptSnapshotException x
        && x.stream() != null
        && x.block() != CorruptSnapshotException.NO_BLOCK) {
      // its message already names the snapshot, stream and block
      failures.failed(
          new FailureLog.Key(x.source() + "\0" + x.stream(), x.block()),
          () -> "EIO for " + reader.name() + request(offset, length, e));
    } else {
      long first = offset / reader.blockSize();
      long last = (offset + Math.max(length, 1) - 1) / reader.blockSize();
      failures.failed(
          new FailureLog.Key(snapshot.describe() + "\0" + reader.name(), first),
          () ->
              "EIO: snapshot "
                  + snapshot.describe()
                  + ", stream "
                  + reader.name()
                  + ", block "
                  + (first == last ? Long.toString(first) : first + "-" + last)
                  + request(offset, length, e));
    }
    LOG.debug("read error detail", e);
    return Errno.of(e);
  }

  /** The failed request and its cause, the end of a log line. */
  private static String request(long offset, int length, Throwable e) {
    return " (offset " + offset + ", length " + length + "): " + FailureLog.oneLine(e);
  }
}
