package dev.cairn.fuse;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The libfuse {@code -o} options of a read-only Cairn mount, and why:
 *
 * <ul>
 *   <li>{@code ro} (without an overlay): the kernel refuses writes before they reach us.
 *   <li>{@code auto_unmount}: fusermount stays behind as a watchdog and unmounts if the serving
 *       process dies (even {@code kill -9}), so no "Transport endpoint is not connected" corpse.
 *   <li>{@code default_permissions}: the kernel enforces the owner, group and modes we report
 *       ({@link MountAccess}); without it, {@code allow_other} would open every file to every local
 *       user.
 *   <li>{@code fsname=SNAP,subtype=cairn}: {@code mount}/{@code df} show the snapshot's absolute
 *       path or URL, of type {@code fuse.cairn} (that type is how {@code cairn umount} recognises
 *       its mounts); {@code mount -a} then knows an fstab line naming that path is mounted, as for
 *       sshfs. A source with characters an option list or the mount table cannot carry (a comma, a
 *       space, a backslash, a query string) shows as {@code cairn:NAME} instead.
 *   <li>{@code kernel_cache}: stream bytes never change, so the page cache survives close/open.
 *   <li>{@code big_writes}: writes arrive as large requests instead of 4 KiB ones (measured at 128
 *       KiB: 0.6–2.1 GB/s against 137–176 MB/s; {@link InitReplyPatch} then raises the limit to 1
 *       MiB); harmless when read-only.
 *   <li>{@code allow_other}: only when the mount will accept it — always for root, otherwise only
 *       if {@code /etc/fuse.conf} has {@code user_allow_other} (fusermount refuses the mount
 *       otherwise). Without it nobody but the mounting user, not even root, can open the files,
 *       which breaks e.g. a QEMU running as another user.
 * </ul>
 *
 * Stateless.
 */
public final class MountOptions {
  private MountOptions() {}

  /** The comma-separated option string for the snapshot at {@code source} (a path or URL). */
  public static String of(String source, boolean allowOther) {
    return of(source, allowOther, false);
  }

  /** The option string; {@code writable} for a mount with an overlay. */
  public static String of(String source, boolean allowOther, boolean writable) {
    List<String> o = new ArrayList<>();
    if (!writable) {
      o.add("ro");
    }
    o.add("auto_unmount");
    o.add("default_permissions");
    o.add("fsname=" + source(source));
    o.add("subtype=cairn");
    o.add("kernel_cache");
    o.add("big_writes");
    if (allowOther) {
      o.add("allow_other");
    }
    return String.join(",", o);
  }

  /** Whether {@code allow_other} will be accepted for a user with id {@code uid}. */
  public static boolean allowOther(long uid, Path fuseConf) {
    if (uid == 0) {
      return true;
    }
    try {
      for (String line : Files.readAllLines(fuseConf)) {
        if (line.strip().equals("user_allow_other")) {
          return true;
        }
      }
    } catch (IOException e) {
      return false;
    }
    return false;
  }

  /**
   * What the mount table shows as the mount's source: {@code source} itself when it is safe there
   * (see {@link #fsName}, plus {@code /}; at most 255 characters), else {@code cairn:} and its last
   * path segment made safe.
   */
  static String source(String source) {
    boolean safe =
        !source.isEmpty()
            && source.length() <= 255
            && source.chars().allMatch(c -> c == '/' || (c < 128 && safeChar(c)));
    if (safe) {
      return source;
    }
    return "cairn:" + fsName(source.substring(source.lastIndexOf('/') + 1));
  }

  private static boolean safeChar(int c) {
    return (c >= 'a' && c <= 'z')
        || (c >= 'A' && c <= 'Z')
        || (c >= '0' && c <= '9')
        || c == '.'
        || c == '_'
        || c == '-'
        || c == '+'
        || c == '@'
        || c == ':';
  }

  /**
   * {@code name} made safe inside an option list and the mount table: no commas, backslashes,
   * spaces or control characters, at most 64 characters.
   */
  static String fsName(String name) {
    StringBuilder sb = new StringBuilder();
    name.codePoints().limit(64).forEach(c -> sb.append(c < 128 && safeChar(c) ? (char) c : '_'));
    return sb.length() == 0 ? "snapshot" : sb.toString();
  }
}
