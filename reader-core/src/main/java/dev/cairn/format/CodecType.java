package dev.cairn.format;

import java.util.Locale;

/** The block compression algorithms a snapshot can name, with their on-disk ids. */
public enum CodecType {
  NONE(0, 0, 0, 0),
  LZ4(1, 0, 0, 17),
  ZSTD(2, 3, -7, 22);

  private final int id;
  private final int defaultLevel;
  private final int minLevel;
  private final int maxLevel;

  CodecType(int id, int defaultLevel, int minLevel, int maxLevel) {
    this.id = id;
    this.defaultLevel = defaultLevel;
    this.minLevel = minLevel;
    this.maxLevel = maxLevel;
  }

  /** The byte stored in the header. */
  public int id() {
    return id;
  }

  /** The level used when none is given: lz4's fast mode, zstd's 3. */
  public int defaultLevel() {
    return defaultLevel;
  }

  public int minLevel() {
    return minLevel;
  }

  public int maxLevel() {
    return maxLevel;
  }

  /** The name used on the command line and in reports. */
  public String displayName() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** Looks up an on-disk id; null if unknown. */
  public static CodecType byId(int id) {
    for (CodecType t : values()) {
      if (t.id == id) {
        return t;
      }
    }
    return null;
  }
}
