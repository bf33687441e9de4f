package dev.cairn.mount;

import dev.cairn.error.UsageException;
import dev.cairn.fuse.MountAccess;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import jnr.posix.Group;
import jnr.posix.POSIXFactory;
import jnr.posix.Passwd;

/**
 * {@code cairn mount --uid U --gid G --mode M}: what replaces the owner, group and mode a mount
 * would otherwise take from its snapshot (see {@link MountAccess}). Null parts are not replaced.
 * Parsed (names resolved through the system's user database) in {@code cairn mount} and handed to
 * the serving process as numbers. Immutable.
 *
 * @param uid owner of the files, or null
 * @param gid group of the files, or null
 * @param mode read and write bits of the stream files (within 0666), or null
 */
public record AccessOptions(Long uid, Long gid, Integer mode) {
  private static final long MAX_ID = 0xFFFF_FFFEL; // (uid_t) -1 means "no change" to the kernel

  /** Parses the three option values (each may be null); a bad one is a usage error. */
  static AccessOptions parse(String uid, String gid, String mode) throws UsageException {
    return new AccessOptions(
        uid == null ? null : id("--uid", uid, true),
        gid == null ? null : id("--gid", gid, false),
        mode == null ? null : mode(mode));
  }

  /** A number, or the name of a user ({@code user}) or group. */
  private static long id(String option, String value, boolean user) throws UsageException {
    if (value.matches("[0-9]{1,10}")) {
      long n = Long.parseLong(value);
      if (n > MAX_ID) {
        throw new UsageException(option + " " + value + ": out of range (0 to " + MAX_ID + ")");
      }
      return n;
    }
    if (value.isEmpty() || value.startsWith("-") || value.contains(":") || value.contains("\0")) {
      throw new UsageException(
          option + " '" + value + "': not a " + (user ? "user" : "group") + " name or number");
    }
    if (user) {
      Passwd p = POSIXFactory.getNativePOSIX().getpwnam(value);
      if (p == null) {
        throw new UsageException(option + " " + value + ": no such user");
      }
      return p.getUID();
    }
    Group g = POSIXFactory.getNativePOSIX().getgrnam(value);
    if (g == null) {
      throw new UsageException(option + " " + value + ": no such group");
    }
    return g.getGID();
  }

  /** Octal read and write bits, e.g. {@code 0644} or {@code 644}. */
  private static int mode(String value) throws UsageException {
    if (!value.matches("0?[0-7]{3}")) {
      throw new UsageException(
          "--mode " + value + ": not an octal file mode (three digits, e.g. 0644)");
    }
    int m = Integer.parseInt(value, 8);
    if ((m & ~0666) != 0) {
      throw new UsageException(
          "--mode "
              + value
              + ": stream files take read and write bits only (e.g. 0644 or 0444, no execute bits)");
    }
    return m;
  }

  /** {@code base} with these replacements. */
  MountAccess applyTo(MountAccess base) {
    return base.with(uid, gid, mode);
  }

  /** The serving process's arguments for these options. */
  List<String> serveArgs() {
    List<String> a = new ArrayList<>();
    if (uid != null) {
      a.add("--uid=" + uid);
    }
    if (gid != null) {
      a.add("--gid=" + gid);
    }
    if (mode != null) {
      a.add("--mode=0" + Integer.toOctalString(mode));
    }
    return a;
  }

  /** Reads what {@link #serveArgs()} wrote (a map of {@code --key=value} arguments). */
  static AccessOptions fromServeArgs(Map<String, String> args) throws UsageException {
    return parse(args.get("uid"), args.get("gid"), args.get("mode"));
  }
}
