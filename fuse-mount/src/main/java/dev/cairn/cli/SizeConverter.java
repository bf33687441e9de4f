package dev.cairn.cli;

import dev.cairn.io.Sizes;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/** Parses sizes such as {@code 4096}, {@code 64K}, {@code 512M}, {@code 2G} (powers of 1024). */
public final class SizeConverter implements ITypeConverter<Long> {
  @Override
  public Long convert(String value) {
    return parse(value);
  }

  /** Parses a size; throws {@link TypeConversionException} with a readable message if invalid. */
  public static long parse(String value) {
    try {
      return Sizes.parse(value);
    } catch (IllegalArgumentException e) {
      throw new TypeConversionException(e.getMessage());
    }
  }
}
