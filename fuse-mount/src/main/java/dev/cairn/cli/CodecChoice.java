package dev.cairn.cli;

import dev.cairn.error.UsageException;
import dev.cairn.format.CodecType;
import java.util.Locale;

/**
 * The codec and level a command writes with, from its {@code --codec} and {@code --level} flags and
 * a fallback (the defaults, or a base snapshot's). Immutable.
 */
record CodecChoice(CodecType type, int level) {

  /**
   * Resolves the flags ({@code codec} and {@code level} may be null). A named codec without a level
   * takes that codec's default level; no codec keeps {@code fallback} and its level.
   */
  static CodecChoice of(String codec, Integer level, CodecType fallback, int fallbackLevel)
      throws UsageException {
    CodecType type = fallback;
    int lvl = fallbackLevel;
    if (codec != null) {
      try {
        type = CodecType.valueOf(codec.toUpperCase(Locale.ROOT));
      } catch (IllegalArgumentException e) {
        throw new UsageException("--codec '" + codec + "' is not one of lz4, zstd, none");
      }
      lvl = type.defaultLevel();
    }
    if (level != null) {
      lvl = level;
    }
    if (lvl < type.minLevel() || lvl > type.maxLevel()) {
      throw new UsageException(
          "--level "
              + lvl
              + " is out of range for "
              + type.displayName()
              + " ("
              + type.minLevel()
              + ".."
              + type.maxLevel()
              + ")");
    }
    return new CodecChoice(type, lvl);
  }
}
