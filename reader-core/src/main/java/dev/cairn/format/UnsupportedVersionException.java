package dev.cairn.format;

/** The snapshot was written in a format major version this build cannot read. */
public final class UnsupportedVersionException extends CairnException {
  private static final long serialVersionUID = 1L;

  public UnsupportedVersionException(String source, int foundMajor, int foundMinor) {
    super(
        source
            + ": snapshot format version "
            + foundMajor
            + "."
            + foundMinor
            + " is not supported; this cairn reads format "
            + Header.MAJOR_VERSION
            + ".x (upgrade cairn to read it)");
  }

  @Override
  public boolean isUsageError() {
    return true;
  }
}
