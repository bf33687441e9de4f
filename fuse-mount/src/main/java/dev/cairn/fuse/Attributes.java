package dev.cairn.fuse;

import java.io.IOException;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import ru.serce.jnrfuse.struct.FileStat;
import ru.serce.jnrfuse.struct.Statvfs;

/**
 * What {@code getattr} and {@code statfs} report for a mount: owner, group and modes from its
 * {@link MountAccess}, the snapshot's creation time as every entry's times (the writable primary
 * stream's mtime and ctime are its own), and for {@code statfs} the snapshot's size in blocks — no
 * free space on a read-only mount, the overlay's file system's free space on a writable one.
 *
 * <p>Immutable; thread-safe.
 */
final class Attributes {
  private static final long NANOS_PER_SECOND = 1_000_000_000L;

  private final MountAccess access;
  private final long timeSeconds;
  private final long timeNanos;
  private final long blockSize;
  private final long totalBytes;
  private final long fileCount;
  private final Path overlayDir;

  /**
   * @param access owner, group and modes of the entries
   * @param createdMillis the snapshot's creation time, epoch milliseconds
   * @param blockSize the snapshot's block size, the file system's block size
   * @param totalBytes the size of all streams
   * @param fileCount how many entries the mount shows
   * @param overlayDir the overlay's directory, or null for a read-only mount
   */
  Attributes(
      MountAccess access,
      long createdMillis,
      long blockSize,
      long totalBytes,
      long fileCount,
      Path overlayDir) {
    this.access = access;
    this.timeSeconds = Math.floorDiv(createdMillis, 1000L);
    this.timeNanos = Math.floorMod(createdMillis, 1000L) * 1_000_000L;
    this.blockSize = blockSize;
    this.totalBytes = totalBytes;
    this.fileCount = fileCount;
    this.overlayDir = overlayDir;
  }

  MountAccess access() {
    return access;
  }

  /** The snapshot's creation time in nanoseconds since the epoch. */
  long createdNanos() {
    return Math.multiplyExact(timeSeconds, NANOS_PER_SECOND) + timeNanos;
  }

  /** A directory with {@code nlink} links. */
  void directory(FileStat stat, int nlink) {
    fill(stat, FileStat.S_IFDIR | access.directoryMode(), nlink, 0);
  }

  /** A read-only regular file of {@code size} bytes. */
  void readOnlyFile(FileStat stat, long size) {
    fill(stat, FileStat.S_IFREG | access.readOnlyMode(), 1, size);
  }

  /** The writable primary stream: {@code size} bytes, modified at {@code modifiedNanos}. */
  void writableFile(FileStat stat, long size, long modifiedNanos) {
    fill(stat, FileStat.S_IFREG | access.writableMode(), 1, size);
    long sec = Math.floorDiv(modifiedNanos, NANOS_PER_SECOND);
    long nsec = Math.floorMod(modifiedNanos, NANOS_PER_SECOND);
    stat.st_mtim.tv_sec.set(sec);
    stat.st_mtim.tv_nsec.set(nsec);
    stat.st_ctim.tv_sec.set(sec);
    stat.st_ctim.tv_nsec.set(nsec);
  }

  private void fill(FileStat stat, int mode, int nlink, long size) {
    stat.st_mode.set(mode);
    stat.st_nlink.set(nlink);
    stat.st_uid.set(access.uid());
    stat.st_gid.set(access.gid());
    stat.st_size.set(size);
    stat.st_blksize.set(4096);
    stat.st_blocks.set((size + 511) / 512);
    stat.st_atim.tv_sec.set(timeSeconds);
    stat.st_atim.tv_nsec.set(timeNanos);
    stat.st_mtim.tv_sec.set(timeSeconds);
    stat.st_mtim.tv_nsec.set(timeNanos);
    stat.st_ctim.tv_sec.set(timeSeconds);
    stat.st_ctim.tv_nsec.set(timeNanos);
  }

  /** The file system's figures. */
  void statfs(Statvfs stbuf) {
    long bsize = blockSize;
    stbuf.f_bsize.set(bsize);
    stbuf.f_frsize.set(bsize);
    stbuf.f_blocks.set((totalBytes + bsize - 1) / bsize);
    stbuf.f_bfree.set(0);
    stbuf.f_bavail.set(0);
    stbuf.f_files.set(fileCount);
    stbuf.f_ffree.set(0);
    stbuf.f_favail.set(0);
    if (overlayDir != null) {
      try {
        FileStore store = Files.getFileStore(overlayDir);
        stbuf.f_bfree.set(store.getUnallocatedSpace() / bsize);
        stbuf.f_bavail.set(store.getUsableSpace() / bsize);
        stbuf.f_blocks.set(
            Math.max((totalBytes + bsize - 1) / bsize, store.getTotalSpace() / bsize));
      } catch (IOException e) {
        // keep the read-only figures
      }
    } else {
      stbuf.f_flag.set(Statvfs.ST_RDONLY);
    }
    stbuf.f_namemax.set(255);
  }
}
