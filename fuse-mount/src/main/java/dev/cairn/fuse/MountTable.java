package dev.cairn.fuse;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The mounts of this process's mount namespace, read from {@code /proc/self/mountinfo}. Stateless;
 * every call reads the table afresh.
 */
public final class MountTable {
  static final Path MOUNTINFO = Path.of("/proc/self/mountinfo");

  /** The file system type a Cairn mount shows ({@code fuse.} plus the {@code subtype}). */
  public static final String CAIRN_FSTYPE = "fuse.cairn";

  private MountTable() {}

  /** One line of mountinfo. */
  public record Entry(String mountPoint, String fsType, String source, String options) {
    public boolean isCairn() {
      return CAIRN_FSTYPE.equals(fsType);
    }

    public boolean isFuse() {
      return fsType.equals("fuse") || fsType.startsWith("fuse.") || fsType.equals("fuseblk");
    }
  }

  /** Every mount, in table order. */
  public static List<Entry> read() throws IOException {
    return parse(Files.readString(MOUNTINFO, StandardCharsets.UTF_8));
  }

  /** The topmost mount at exactly {@code mountPoint} (absolute, normalized), if any. */
  public static Optional<Entry> find(Path mountPoint) throws IOException {
    return find(read(), mountPoint);
  }

  static Optional<Entry> find(List<Entry> entries, Path mountPoint) {
    String want = mountPoint.toString();
    Entry found = null;
    for (Entry e : entries) {
      if (e.mountPoint().equals(want)) {
        found = e; // later lines are mounted on top of earlier ones
      }
    }
    return Optional.ofNullable(found);
  }

  /** Parses mountinfo text; malformed lines are skipped. */
  static List<Entry> parse(String text) {
    List<Entry> out = new ArrayList<>();
    for (String line : text.split("\n")) {
      String[] f = line.trim().split(" ");
      int dash = -1;
      for (int i = 6; i < f.length; i++) {
        if (f[i].equals("-")) {
          dash = i;
          break;
        }
      }
      if (f.length < 10 || dash < 0 || dash + 2 >= f.length) {
        continue;
      }
      out.add(new Entry(unescape(f[4]), unescape(f[dash + 1]), unescape(f[dash + 2]), f[5]));
    }
    return out;
  }

  /**
   * Decodes the kernel's octal escapes ({@code \040} for a space, {@code \134} for a backslash).
   */
  static String unescape(String s) {
    if (s.indexOf('\\') < 0) {
      return s;
    }
    byte[] in = s.getBytes(StandardCharsets.UTF_8);
    byte[] out = new byte[in.length];
    int n = 0;
    for (int i = 0; i < in.length; i++) {
      if (in[i] == '\\' && isOctal(in, i + 1)) {
        out[n++] = (byte) (((in[i + 1] - '0') << 6) | ((in[i + 2] - '0') << 3) | (in[i + 3] - '0'));
        i += 3;
      } else {
        out[n++] = in[i];
      }
    }
    return new String(out, 0, n, StandardCharsets.UTF_8);
  }

  private static boolean isOctal(byte[] b, int at) {
    for (int i = at; i < at + 3; i++) {
      if (i >= b.length || b[i] < '0' || b[i] > '7') {
        return false;
      }
    }
    return true;
  }
}
