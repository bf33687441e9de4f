package dev.cairn.cli;

import java.nio.file.Files;
import java.nio.file.Path;

/** Checks paths given on the command line before any work starts. Stateless. */
final class Inputs {
  private Inputs() {}

  /** Returns {@code arg} as a path to an existing, readable regular file, or explains why not. */
  static Path regularFile(String arg, String what) throws UsageException {
    Path p = Path.of(arg);
    if (!Files.exists(p)) {
      throw new UsageException(arg + ": no such file");
    }
    if (Files.isDirectory(p)) {
      throw new UsageException(arg + ": is a directory, expected a " + what + " file");
    }
    if (!Files.isRegularFile(p)) {
      throw new UsageException(arg + ": not a regular file, expected a " + what + " file");
    }
    if (!Files.isReadable(p)) {
      throw new UsageException(arg + ": permission denied");
    }
    return p;
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
