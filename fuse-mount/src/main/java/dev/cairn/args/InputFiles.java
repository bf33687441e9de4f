package dev.cairn.args;

import dev.cairn.error.UsageException;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Checks the paths of files a command or a mount's serving process is asked to read, before any
 * work starts, so that a mistake is one line naming the argument. Stateless.
 */
public final class InputFiles {
  private InputFiles() {}

  private static final int S_IFMT = 0170000;
  private static final int S_IFBLK = 0060000;

  /** Returns {@code arg} as a path to an existing, readable regular file, or explains why not. */
  public static Path regularFile(String arg, String what) throws UsageException {
    return check(arg, what, false);
  }

  /**
   * Like {@link #regularFile}, also accepting a block device (an LVM volume, a disk, a loop
   * device), which is read like an image file of the device's size.
   */
  public static Path image(String arg) throws UsageException {
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

  /**
   * The size of an input from {@link #image}: a block device's is its capacity, where {@code
   * Files.size} gives 0.
   */
  public static long size(Path p) throws IOException {
    try (FileChannel ch = FileChannel.open(p)) {
      return ch.size();
    }
  }
}
