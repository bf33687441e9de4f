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

  /** Only {@code mount} shows these; other commands leave them null. */
  java.nio.file.Path recordProfile;

  String profile;

  /**
   * Makes the options this process's tuning; must run before the first remote source opens.
   *
   * @throws UsageException if a value is out of range
   */
  void apply() throws UsageException {
    apply(false);
  }

  /**
   * Like {@link #apply()}; with {@code trusted} (a mount with {@code --trust}) a published access
   * profile is ignored with one line, and {@code --profile FILE} is refused: profiles are not
   * signed.
   */
  void apply(boolean trusted) throws UsageException {
    if (recordProfile != null) {
      System.setProperty(
          "cairn.remote.recordProfile", recordProfile.toAbsolutePath().normalize().toString());
    }
    if (trusted) {
      if (profile != null && !profile.equals("none")) {
        throw new UsageException(
            "--profile "
                + profile
                + ": access profiles are not signed, and --trust reads only signed data (use"
                + " --profile none)");
      }
      System.setProperty("cairn.remote.profile", profile == null ? "untrusted" : "none");
    } else if (profile != null) {
      if (!profile.equals("none")
          && !java.nio.file.Files.isRegularFile(java.nio.file.Path.of(profile))) {
        throw new UsageException("--profile " + profile + ": no such file (or 'none')");
      }
      System.setProperty(
          "cairn.remote.profile",
          profile.equals("none")
              ? "none"
              : java.nio.file.Path.of(profile).toAbsolutePath().normalize().toString());
    }
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
