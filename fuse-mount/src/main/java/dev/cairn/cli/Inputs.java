package dev.cairn.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Checks paths given on the command line before any work starts. Stateless. */
final class Inputs {
  private Inputs() {}

  private static final int S_IFMT = 0170000;
  private static final int S_IFBLK = 0060000;

  /** Returns {@code arg} as a path to an existing, readable regular file, or explains why not. */
  static Path regularFile(String arg, String what) throws UsageException {
    return check(arg, what, false);
  }

  /**
   * Like {@link #regularFile}, also accepting a block device (an LVM volume, a disk, a loop
   * device), which is read like an image file of the device's size.
   */
  static Path image(String arg) throws UsageException {
    return check(arg, "input", true);
  }

  private static Path check(String arg, String what, boolean device) throws UsageException {
    Path p = Path.of(arg);
    String article = "aeiou".indexOf(what.charAt(0)) >= 0 ? "an " : "a ";
    if (!Files.exists(p)) {
      throw new UsageException(arg + ": no such file");
    }
    if (Files.isDirectory(p)) {
      throw new UsageException(arg + ": is a directory, expected " + article + what + " file");
    }
    if (!Files.isRegularFile(p) && !(device && isBlockDevice(p))) {
      throw new UsageException(
          arg
              + ": not a regular file"
              + (device ? " or block device" : "")
              + ", expected "
              + article
              + what
              + " file");
    }
    if (!Files.isReadable(p)) {
      throw new UsageException(arg + ": permission denied");
    }
    return p;
  }

  private static boolean isBlockDevice(Path p) {
    try {
      return ((Integer) Files.getAttribute(p, "unix:mode") & S_IFMT) == S_IFBLK;
    } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
      return false;
    }
  }

  /** Checks that {@code out} can be created: its directory exists and it is not a directory. */
  static Path outputFile(String arg) throws UsageException {
    Path p = Path.of(arg).toAbsolutePath();
    if (Files.isDirectory(p)) {
      throw new UsageException(arg + ": is a directory; give the output file name");
    }
    Path dir = p.getParent();
    if (dir == null || !Files.isDirectory(dir)) {
      throw new UsageException(arg + ": directory " + dir + " does not exist");
    }
    if (!Files.isWritable(dir)) {
      throw new UsageException(arg + ": cannot write to directory " + dir);
    }
    return p;
  }
}
