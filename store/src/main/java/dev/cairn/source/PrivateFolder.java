package dev.cairn.source;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.Set;

/**
 * The ownership rule of the remote chunk cache, as ssh applies it to its key files: a folder the
 * cache writes into or deletes from must be a real folder (not a symbolic link, checked with {@code
 * lstat}), owned by the process's effective user and writable by no one else; the folders above the
 * cache root must be owned by that user or by root and writable by no one else unless sticky (as
 * {@code /tmp} is: no one can then rename another user's entries). Stateless.
 */
final class PrivateFolder {
  /** Mode of every folder the cache creates (the umask can only narrow it). */
  static final FileAttribute<Set<PosixFilePermission>> DIR_MODE =
      PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------"));

  /** Mode of every file the cache creates. */
  static final FileAttribute<Set<PosixFilePermission>> FILE_MODE =
      PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"));

  private static final int S_IFMT = 0170000;
  private static final int S_IFDIR = 0040000;
  private static final int S_IFLNK = 0120000;
  private static final int GROUP_OTHER_WRITE = 0022;
  private static final int STICKY = 01000;

  private PrivateFolder() {}

  /** The effective user id of this process, or -1 if it cannot be told. */
  static int effectiveUid() {
    try {
      // "Uid:" then the real, effective, saved and file-system user ids
      for (String line : Files.readAllLines(Path.of("/proc/self/status"), StandardCharsets.UTF_8)) {
        if (line.startsWith("Uid:")) {
          return Integer.parseInt(line.substring(4).trim().split("\\s+")[1]);
        }
      }
    } catch (IOException | RuntimeException e) {
      // not Linux: the real user id below is the effective one for a JVM (never set-user-id)
    }
    try {
      return (int) new com.sun.security.auth.module.UnixSystem().getUid();
    } catch (RuntimeException | LinkageError e) {
      return -1;
    }
  }

  /**
   * Why {@code dir} may not hold the cache's files, or null if it may.
   *
   * @throws NoSuchFileException if there is nothing at {@code dir}
   */
  static String problem(Path dir, int uid) throws IOException {
    Map<String, Object> a = Files.readAttributes(dir, "unix:mode,uid", LinkOption.NOFOLLOW_LINKS);
    int mode = (Integer) a.get("mode");
    int owner = (Integer) a.get("uid");
    if ((mode & S_IFMT) == S_IFLNK) {
      return "is a symbolic link";
    }
    if ((mode & S_IFMT) != S_IFDIR) {
      return "is not a folder";
    }
    if (owner != uid) {
      return "is owned by another user (" + ownerName(dir) + ")";
    }
    if ((mode & GROUP_OTHER_WRITE) != 0) {
      return "is writable by other users";
    }
    return null;
  }

  /**
   * Why the folder {@code dir} (a path without symbolic links) and those above it may not lead to
   * the cache, or null if they may.
   */
  static String ancestorProblem(Path dir, int uid) throws IOException {
    for (Path p = dir; p != null; p = p.getParent()) {
      Map<String, Object> a = Files.readAttributes(p, "unix:mode,uid", LinkOption.NOFOLLOW_LINKS);
      int mode = (Integer) a.get("mode");
      int owner = (Integer) a.get("uid");
      if (owner != uid && owner != 0) {
        return "is inside " + p + ", which is owned by another user (" + ownerName(p) + ")";
      }
      if ((mode & GROUP_OTHER_WRITE) != 0 && (mode & STICKY) == 0) {
        return "is inside " + p + ", which is writable by other users";
      }
    }
    return null;
  }

  private static String ownerName(Path p) throws IOException {
    return Files.getOwner(p, LinkOption.NOFOLLOW_LINKS).getName();
  }
}
