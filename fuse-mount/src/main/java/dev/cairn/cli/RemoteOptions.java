package dev.cairn.cli;

import dev.cairn.error.UsageException;
import picocli.CommandLine.Option;

/**
 * How hard a command or a mount may use the link to a remote snapshot's server: {@code
 * --max-connections N} and {@code --max-bandwidth SIZE}. They become the tuning properties {@code
 * cairn.remote.maxConnections} and {@code cairn.remote.maxBandwidth} of this process, which a
 * mount's serving process inherits like every {@code -Dcairn.…} switch. Mixed into commands that
 * read remote snapshots; not thread-safe (used once, before the command's work starts).
 */
public final class RemoteOptions {
  @Option(
      names = "--max-connections",
      paramLabel = "N",
      description =
          "Remote requests in flight at once, and so connections to the server (1-64, default"
              + " 8).")
  Integer maxConnections;

  @Option(
      names = "--max-bandwidth",
      paramLabel = "SIZE",
      converter = SizeConverter.class,
      description =
          "Cap on what remote reads bring in per second, e.g. 50M (default: no cap). For links"
              + " shared with other work.")
  Long maxBandwidth;

  /**
   * Makes the options this process's tuning; must run before the first remote source opens.
   *
   * @throws UsageException if a value is out of range
   */
  void apply() throws UsageException {
    if (maxConnections != null) {
      if (maxConnections < 1 || maxConnections > 64) {
        throw new UsageException(
            "--max-connections " + maxConnections + ": give a number from 1 to 64");
      }
      System.setProperty("cairn.remote.maxConnections", Integer.toString(maxConnections));
    }
    if (maxBandwidth != null) {
      if (maxBandwidth < 1024) {
        throw new UsageException(
            "--max-bandwidth " + maxBandwidth + ": give at least 1K (bytes per second)");
      }
      System.setProperty("cairn.remote.maxBandwidth", Long.toString(maxBandwidth));
    }
  }
}
