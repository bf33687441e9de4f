package dev.cairn.fuse;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The kernel's read-ahead window for one FUSE mount: {@code
 * /sys/class/bdi/MAJOR:MINOR/read_ahead_kb} of the mount's anonymous device.
 *
 * <p>A FUSE mount starts with 128 KiB, which keeps at most one request in flight behind a
 * sequential reader: the serving threads take turns instead of decompressing side by side. With
 * requests of up to 1 MiB (see {@link InitReplyPatch}) a window of a few MiB keeps every worker
 * busy; random readers are unaffected, the kernel only reads ahead of sequential access. Only root
 * may write the file; without it the mount works with the kernel's default.
 *
 * <p>Stateless; thread-safe.
 */
public final class ReadAhead {
  private static final Logger LOG = LoggerFactory.getLogger(ReadAhead.class);

  private ReadAhead() {}

  /**
   * Sets the window of the file system mounted at {@code mountPoint} to {@code kib} KiB. Returns
   * false (and logs why at debug level) if the kernel or the permissions do not allow it.
   */
  public static boolean set(Path mountPoint, int kib) {
    Path knob;
    try {
      knob = knob(mountPoint);
    } catch (IOException | UnsupportedOperationException e) {
      LOG.debug("read-ahead of {} left as it is: {}", mountPoint, e.toString());
      return false;
    }
    try {
      Files.writeString(knob, Integer.toString(kib), StandardCharsets.US_ASCII);
      return true;
    } catch (IOException e) {
      LOG.debug("read-ahead of {} left as it is: cannot write {}: {}", mountPoint, knob, e);
      return false;
    }
  }

  /** The current window of the mount, in KiB. */
  public static int get(Path mountPoint) throws IOException {
    return Integer.parseInt(Files.readString(knob(mountPoint), StandardCharsets.US_ASCII).strip());
  }

  static Path knob(Path mountPoint) throws IOException {
    long dev = ((Number) Files.getAttribute(mountPoint, "unix:dev")).longValue();
    return Path.of("/sys/class/bdi", major(dev) + ":" + minor(dev), "read_ahead_kb");
  }

  /** glibc's {@code gnu_dev_major}. */
  static long major(long dev) {
    return ((dev >>> 8) & 0xfff) | ((dev >>> 32) & ~0xfffL);
  }

  /** glibc's {@code gnu_dev_minor}. */
  static long minor(long dev) {
    return (dev & 0xff) | ((dev >>> 12) & ~0xffL);
  }
}
