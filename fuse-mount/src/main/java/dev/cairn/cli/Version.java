package dev.cairn.cli;

import dev.cairn.format.Header;
import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;
import picocli.CommandLine.IVersionProvider;

/**
 * Reports the build version, the commit it was built from and the snapshot format it writes: the
 * version comes from the jar's manifest, the commit from {@code git.properties}, which the build
 * writes next to this class (absent when built outside a git checkout).
 *
 * <p><b>Thread safety:</b> stateless.
 */
public final class Version implements IVersionProvider {
  @Override
  public String[] getVersion() {
    String v = Version.class.getPackage().getImplementationVersion();
    return new String[] {
      "cairn " + (v == null ? "(version unknown: not run from the built jar)" : v) + commit(),
      "snapshot format " + Header.MAJOR_VERSION + "." + Header.MINOR_VERSION
    };
  }

  /** " (commit abc1234, 2026-12-07)", with "-dirty" for uncommitted changes, or "". */
  static String commit() {
    Properties p = new Properties();
    try (InputStream in = Version.class.getResourceAsStream("git.properties")) {
      if (in == null) {
        return "";
      }
      p.load(in);
    } catch (IOException e) {
      return "";
    }
    String id = p.getProperty("git.commit.id.abbrev", "");
    if (id.isEmpty()) {
      return "";
    }
    String dirty = Boolean.parseBoolean(p.getProperty("git.dirty")) ? "-dirty" : "";
    String time = p.getProperty("git.commit.time", "");
    return " (commit " + id + dirty + (time.isEmpty() ? "" : ", " + time) + ")";
  }
}
