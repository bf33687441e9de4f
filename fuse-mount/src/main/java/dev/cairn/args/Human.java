package dev.cairn.args;

import java.util.Locale;

/** Formats sizes, rates and durations for people, in messages and reports. Stateless. */
public final class Human {
  private Human() {}

  public static String bytes(long n) {
    if (n < 1024) {
      return n + " B";
    }
    String[] units = {"KiB", "MiB", "GiB", "TiB", "PiB"};
    double v = n;
    int u = -1;
    while (v >= 1024 && u < units.length - 1) {
      v /= 1024;
      u++;
    }
    return String.format(Locale.ROOT, v >= 100 ? "%.0f %s" : "%.1f %s", v, units[u]);
  }

  public static String rate(long bytes, long nanos) {
    if (nanos <= 0) {
      return "-";
    }
    return bytes(Math.round(bytes / (nanos / 1e9))) + "/s";
  }

  public static String seconds(long nanos) {
    return String.format(Locale.ROOT, "%.2f s", nanos / 1e9);
  }
}
