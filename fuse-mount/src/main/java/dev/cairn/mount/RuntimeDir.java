package dev.cairn.mount;

import dev.cairn.config.Tuning;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.Optional;

/**
 * Where mounts keep their state file, ready file and log: {@code $CAIRN_RUNTIME_DIR} if set, {@code
 * /var/tmp/cairn} for root, {@code $XDG_RUNTIME_DIR/cairn} or {@code /var/tmp/cairn-UID} for other
 * users. Files are named after a hash of the mount point, so {@code cairn umount MNT} finds what
 * {@code cairn mount SNAP MNT} wrote. Immutable.
 */
public final class RuntimeDir {
  private final Path dir;

  public RuntimeDir(Path dir) {
    this.dir = dir;
  }

  /** The directory for the current user and environment. */
  public static RuntimeDir forCurrentUser() {
    return new RuntimeDir(choose(System.getenv(), currentUid()));
  }

  static Path choose(Map<String, String> env, long uid) {
    Optional<Path> override = Tuning.from(name -> null, env::get).runtimeDir();
    if (override.isPresent()) {
      return override.get();
    }
    if (uid == 0) {
      return Path.of("/var/tmp/cairn");
    }
    String xdg = env.get("XDG_RUNTIME_DIR");
    if (xdg != null && !xdg.isBlank()) {
      return Path.of(xdg, "cairn");
    }
    return Path.of("/var/tmp/cairn-" + uid);
  }

  public Path dir() {
    return dir;
  }

  /** Creates the directory (mode 0700) if needed and checks that it is ours and not a link. */
  public Path ensure() throws IOException {
    if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
      Files.createDirectories(dir.getParent());
      try {
        Files.createDirectory(
            dir,
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
      } catch (java.nio.file.FileAlreadyExistsException e) {
        // created concurrently by another cairn: checked below
      }
    }
    if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
      throw new IOException(dir + ": exists but is not a directory");
    }
    Object owner = Files.getAttribute(dir, "unix:uid", LinkOption.NOFOLLOW_LINKS);
    if (((Number) owner).longValue() != currentUid()) {
      throw new IOException(dir + ": belongs to another user; set CAIRN_RUNTIME_DIR");
    }
    return dir;
  }

  /** {@code mount-HASH}: the stem of every file about the mount at {@code mountPoint}. */
  public static String key(Path mountPoint) {
    return "mount-" + hash(mountPoint.toString());
  }

  /**
   * 64-bit FNV-1a of the UTF-8 bytes, as 16 hex digits: names files, not a security boundary (and
   * cheaper at start-up than loading a {@code MessageDigest} provider).
   */
  public static String hash(String s) {
    long h = 0xcbf29ce484222325L;
    for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
      h ^= b & 0xff;
      h *= 0x100000001b3L;
    }
    String hex = Long.toHexString(h);
    return "0".repeat(16 - hex.length()) + hex;
  }

  public Path stateFile(Path mountPoint) {
    return dir.resolve(key(mountPoint) + ".state");
  }

  public Path readyFile(Path mountPoint) {
    return dir.resolve(key(mountPoint) + ".ready");
  }

  public Path logFile(Path mountPoint) {
    return dir.resolve(key(mountPoint) + ".log");
  }

  /**
   * Deletes logs and JVM crash reports not written for {@code maxAge}, except those of mounts whose
   * state file still exists and of servers whose socket does (with a server's old log goes its
   * start lock). Best effort; returns how many logs went.
   */
  public int pruneOldLogs(java.time.Duration maxAge) {
    long cutoff = System.currentTimeMillis() - maxAge.toMillis();
    int n = 0;
    try (java.nio.file.DirectoryStream<Path> ds =
        Files.newDirectoryStream(dir, "{mount-*.log,server-*.log,hs_err_pid*.log}")) {
      for (Path p : ds) {
        String name = p.getFileName().toString();
        String stem = name.substring(0, name.length() - 4);
        if (name.startsWith("mount-") && Files.exists(dir.resolve(stem + ".state"))) {
          continue;
        }
        if (name.startsWith("server-") && Files.exists(dir.resolve(stem + ".sock"))) {
          continue;
        }
        if (name.startsWith("server-")
            && Files.getLastModifiedTime(p, LinkOption.NOFOLLOW_LINKS).toMillis() < cutoff) {
          Files.deleteIfExists(dir.resolve(stem + ".lock"));
        }
        if (Files.getLastModifiedTime(p, LinkOption.NOFOLLOW_LINKS).toMillis() < cutoff) {
          Files.deleteIfExists(p);
          n++;
        }
      }
    } catch (IOException | RuntimeException e) {
      // best effort
    }
    return n;
  }

  /** The effective user id of this process. */
  public static long currentUid() {
    return procSelf("unix:uid");
  }

  /** The effective group id of this process. */
  public static long currentGid() {
    return procSelf("unix:gid");
  }

  private static long procSelf(String attribute) {
    try {
      return ((Number) Files.getAttribute(Path.of("/proc/self/"), attribute)).longValue();
    } catch (IOException | UnsupportedOperationException e) {
      return "root".equals(System.getProperty("user.name")) ? 0 : -1;
    }
  }
}
