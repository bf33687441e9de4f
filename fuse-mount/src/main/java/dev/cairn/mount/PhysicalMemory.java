package dev.cairn.mount;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The machine's physical memory, from {@code /proc/meminfo} (cheaper at start-up than the
 * management beans, which load a few hundred classes).
 *
 * <p><b>Thread safety:</b> thread-safe (the total is read once, by the class loader's lock).
 */
final class PhysicalMemory {
  private PhysicalMemory() {}

  /**
   * Total physical memory in bytes, or 0 if it cannot be read; read once per process (a mount's
   * checks and the server's settings both ask).
   */
  static long total() {
    return Total.BYTES;
  }

  private static final class Total {
    static final long BYTES = read();
  }

  private static long read() {
    try {
      return parse(Files.readAllLines(Path.of("/proc/meminfo")));
    } catch (IOException e) {
      return 0;
    }
  }

  /** {@code MemTotal: N kB} among {@code lines}, in bytes; 0 if absent or malformed. */
  static long parse(List<String> lines) {
    for (String line : lines) {
      if (line.startsWith("MemTotal:")) {
        String[] f = line.substring("MemTotal:".length()).trim().split("\\s+");
        try {
          return f.length == 2 && f[1].equals("kB") ? Long.parseLong(f[0]) << 10 : 0;
        } catch (NumberFormatException e) {
          return 0;
        }
      }
    }
    return 0;
  }
}
