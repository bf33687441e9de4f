package dev.cairn.error;

/** The snapshot was written in a format major version this build cannot read. */
public final class UnsupportedVersionException extends CairnException {
  private static final long serialVersionUID = 1L;

  public UnsupportedVersionException(
      String source, int foundMajor, int foundMinor, int readableMajor) {
    super(
        source
            + ": snapshot format version "
            + foundMajor
            + "."
            + foundMinor
            + " is not supported; this cairn reads format "
            + readableMajor
            + ".x (upgrade cairn to read it)");
  }

  @Override
  public Category category() {
    return Category.UNSUPPORTED_VERSION;
  }
}
