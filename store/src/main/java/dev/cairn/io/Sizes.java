package dev.cairn.io;

import java.util.Locale;

/**
 * Sizes as people write them: {@code 4096}, {@code 64K}, {@code 512M}, {@code 2G}, {@code 1T}
 * (powers of 1024; a trailing {@code B} or {@code iB} is allowed). Stateless.
 */
public final class Sizes {
  private Sizes() {}

  /**
   * Parses {@code value}.
   *
   * @throws IllegalArgumentException with a readable message if it is not a size
   */
  public static long parse(String value) {
    String v = value.trim().toUpperCase(Locale.ROOT);
    if (v.endsWith("IB")) {
      v = v.substring(0, v.length() - 2);
    } else if (v.endsWith("B") && v.length() > 1 && !Character.isDigit(v.charAt(v.length() - 2))) {
      v = v.substring(0, v.length() - 1);
    }
    int shift = 0;
    if (!v.isEmpty()) {
      switch (v.charAt(v.length() - 1)) {
        case 'K' -> shift = 10;
        case 'M' -> shift = 20;
        case 'G' -> shift = 30;
        case 'T' -> shift = 40;
        default -> shift = 0;
      }
    }
    String digits = shift == 0 ? v : v.substring(0, v.length() - 1);
    try {
      long n = Long.parseLong(digits);
      if (n < 0 || (shift > 0 && n > (Long.MAX_VALUE >> shift))) {
        throw new NumberFormatException();
      }
      return n << shift;
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(
          "'" + value + "' is not a size (examples: 4096, 64K, 512M, 2G)");
    }
  }
}
