package dev.cairn.delta;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.OptionalLong;

/**
 * Who holds a POSIX record lock on a file, as the kernel reports it in {@code /proc/locks}. A PID
 * written into the lock file by its holder can be stale: a new holder locks first and writes its
 * PID after, so a refused opener in between would read the previous, possibly dead, holder's PID.
 * The kernel's table names the live holder.
 *
 * <p>A line of {@code /proc/locks} reads {@code 1: POSIX ADVISORY WRITE 1234 08:01:131090 0 EOF}:
 * ordinal, class, mode, access, PID, {@code MAJOR:MINOR:INODE} (major and minor in hex, inode in
 * decimal), range. Lines of waiters ({@code 1: ->}) are skipped.
 *
 * <p><b>Thread safety:</b> stateless.
 */
final class LockHolder {
  private LockHolder() {}

  /** The PID holding a POSIX lock on {@code file}, if the kernel lists one. */
  static OptionalLong of(Path file) {
    try {
      long dev = (Long) Files.getAttribute(file, "unix:dev");
      long ino = (Long) Files.getAttribute(file, "unix:ino");
      return find(Files.readAllLines(Path.of("/proc/locks")), major(dev), minor(dev), ino);
    } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
      return OptionalLong.empty();
    }
  }

  /** The holder's PID in {@code lines} of {@code /proc/locks} for the file {@code maj:min:ino}. */
  static OptionalLong find(List<String> lines, long major, long minor, long ino) {
    String id = String.format("%02x:%02x:%d", major, minor, ino);
    for (String line : lines) {
      String[] f = line.trim().split("\\s+");
      if (f.length >= 6 && f[1].equals("POSIX") && f[5].equals(id)) {
        try {
          return OptionalLong.of(Long.parseLong(f[4]));
        } catch (NumberFormatException e) {
          return OptionalLong.empty();
        }
      }
    }
    return OptionalLong.empty();
  }

  /** Linux's encoding of {@code st_dev} (glibc {@code gnu_dev_major}). */
  static long major(long dev) {
    return ((dev >>> 8) & 0xfff) | ((dev >>> 32) & ~0xfffL);
  }

  /** Linux's encoding of {@code st_dev} (glibc {@code gnu_dev_minor}). */
  static long minor(long dev) {
    return (dev & 0xff) | ((dev >>> 12) & ~0xffL);
  }
}
