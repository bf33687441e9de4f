package dev.cairn.cli;

import dev.cairn.format.Header;
import picocli.CommandLine.IVersionProvider;

/** Reports the build version and the snapshot format it writes. */
public final class Version implements IVersionProvider {
  @Override
  public String[] getVersion() {
    String v = Version.class.getPackage().getImplementationVersion();
    return new String[] {
      "cairn " + (v == null ? "dev" : v),
      "snapshot format " + Header.MAJOR_VERSION + "." + Header.MINOR_VERSION
    };
  }
}
