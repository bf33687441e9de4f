package dev.cairn.fuse;

import dev.cairn.delta.DirectoryLock;
import dev.cairn.overlay.OverlayConfig;
import dev.cairn.overlay.OverlayImage;
import dev.cairn.read.Snapshot;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.concurrent.TimeUnit;
import jnr.ffi.Pointer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import ru.serce.jnrfuse.ErrorCodes;
import ru.serce.jnrfuse.struct.FileStat;

/**
 * The primary stream of a mount with an overlay: reads and writes go through {@link OverlayImage};
 * {@code fsync} and {@code flush} (every close) make it durable and compact the overlay when that
 * is worthwhile; {@code truncate} may grow it but not shrink it below the base. Writes and
 * truncates set the file's mtime and ctime, kept in memory: a mount starts from the time of the
 * overlay's newest change (the newest modification time of its spill and manifest files). Failures
 * are counted in the snapshot's statistics and logged through the mount's {@link FailureLog}.
 *
 * <p>Thread-safe: the overlay is; the modification time is a volatile field; the failure log is
 * synchronized.
 */
final class PrimaryStream implements FileNode {
  // the file system's log lines keep one logger name, whichever class writes them
  private static final Logger LOG = LoggerFactory.getLogger(CairnFs.class);

  private final OverlayImage overlay;
  private final String path;
  private final Snapshot snapshot;
  private final Attributes attributes;
  private final FailureLog failures;

  // made once, so that a read allocates nothing of its own
  private final KernelReads.Positional source;
  private final KernelReads.Failure onFailure;

  /** The mtime and ctime, nanoseconds since the epoch. */
  private volatile long modifiedNanos;

  /**
   * @param overlay serves the stream; the caller keeps ownership
   * @param path the file's path in the mount, for log lines
   */
  PrimaryStream(
      OverlayImage overlay,
      String path,
      Snapshot snapshot,
      Attributes attributes,
      FailureLog failures) {
    this.overlay = overlay;
    this.path = path;
    this.snapshot = snapshot;
    this.attributes = attributes;
    this.failures = failures;
    this.source = overlay::read;
    this.onFailure = (offset, length, e) -> failed("read", offset, length, e);
    this.modifiedNanos = Math.max(attributes.createdNanos(), lastChange(overlay.directory()));
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

  /** Marks the stream modified now. */
  private void modified() {
    modifiedNanos = System.currentTimeMillis() * 1_000_000L;
  }

  @Override
  public boolean writable() {
    return true;
  }

  @Override
  public void getattr(FileStat stat) {
    attributes.writableFile(stat, overlay.size(), modifiedNanos);
    stat.st_blksize.set(overlay.chunkSize());
  }

  @Override
  public int read(Pointer buf, long size, long offset) {
    return KernelReads.read(source, overlay.size(), onFailure, buf, size, offset);
  }

  @Override
  public int write(Pointer buf, long size, long offset) {
    if (offset < 0 || size < 0 || size > Integer.MAX_VALUE) {
      return -ErrorCodes.EINVAL();
    }
    try {
      ByteBuffer src = KernelReads.over(buf, (int) size);
      overlay.write(offset, src);
      modified();
      return (int) size;
    } catch (IOException | RuntimeException | OutOfMemoryError e) {
      return failed("write", offset, size, e);
    }
  }

  @Override
  public int truncate(long size) {
    if (size < overlay.baseSize()) {
      // The base's bytes are the floor: a thin commit could not express a shorter image.
      LOG.warn(
          "refused to shrink {} to {} bytes: below the base snapshot's {}",
          path,
          size,
          overlay.baseSize());
      return -ErrorCodes.EPERM();
    }
    try {
      overlay.truncate(size);
      modified();
      return 0;
    } catch (IOException | RuntimeException e) {
      return failed("truncate", size, 0, e);
    }
  }

  /**
   * Also called at every close of a descriptor: making the overlay durable there too means that a
   * program that writes and closes (without fsync) still finds its data after a crash of the mount.
   */
  @Override
  public int sync() {
    try {
      overlay.fsync();
    } catch (IOException | RuntimeException e) {
      return failed("fsync", 0, 0, e);
    }
    try {
      if (overlay.compactIfWorthwhile()) {
        LOG.info("compacted overlay {}", overlay.directory());
      }
    } catch (IOException | RuntimeException e) {
      // The data is durable already; a failed compaction leaves the old spill file in place.
      LOG.warn("compacting overlay {} failed: {}", overlay.directory(), FailureLog.oneLine(e));
    }
    return 0;
  }

  private int failed(String op, long offset, long length, Throwable e) {
    snapshot.stats().recordError();
    failures.failed(
        new FailureLog.Key(op + " " + overlay.directory(), offset / overlay.chunkSize()),
        () ->
            op
                + " failed: overlay "
                + overlay.directory()
                + ", offset "
                + offset
                + ", length "
                + length
                + ": "
                + FailureLog.oneLine(e));
    LOG.debug("overlay error detail", e);
    return Errno.of(e);
  }
}
