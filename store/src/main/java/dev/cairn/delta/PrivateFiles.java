package dev.cairn.delta;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

/**
 * Creates files and directories that only their owner can use: directories 0700, files 0600. The
 * mode is given at creation (never a {@code chmod} afterwards), so there is no moment at which
 * another user could open a file an overlay keeps its changes in. Files and directories that
 * already exist keep their mode. Stateless.
 */
public final class PrivateFiles {
  /** Mode 0600, for {@code open(2)}'s {@code O_CREAT}. */
  public static final FileAttribute<Set<PosixFilePermission>> FILE =
      PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"));

  /** Mode 0700, for {@code mkdir(2)}. */
  public static final FileAttribute<Set<PosixFilePermission>> DIRECTORY =
      PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------"));

  private PrivateFiles() {}

  /**
   * {@link FileChannel#open(Path, OpenOption...)}, creating the file (if an option says so) 0600.
   */
  public static FileChannel open(Path file, OpenOption... options) throws IOException {
    return FileChannel.open(file, Set.of(options), FILE);
  }

  /**
   * Creates {@code dir} 0700 if it is missing (its missing parents get the usual mode); an existing
   * directory is left as it is.
   */
  public static Path createDirectory(Path dir) throws IOException {
    Path abs = dir.toAbsolutePath().normalize();
    if (Files.isDirectory(abs)) {
      return abs;
    }
    if (abs.getParent() != null) {
      Files.createDirectories(abs.getParent());
    }
    try {
      Files.createDirectory(abs, DIRECTORY);
    } catch (java.nio.file.FileAlreadyExistsException e) {
      if (!Files.isDirectory(abs)) {
        throw e;
      }
    }
    return abs;
  }
}
