package dev.cairn.cli;

import dev.cairn.mount.MountRequest;
import dev.cairn.mount.MountServer;
import dev.cairn.mount.ProfileOptions;
import dev.cairn.mount.ServeLauncher;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code cairn mount SNAP MOUNTPOINT}: hands the mount to {@link ServeLauncher}, which checks what
 * it can cheaply, then starts the serving process (this jar again, detached, logging to a file) and
 * returns once the files are readable. With {@code --foreground} it serves in this process ({@link
 * MountServer}) until unmounted or interrupted.
 */
@Command(
    name = "mount",
    mixinStandardHelpOptions = true,
    description = {
      "Mount a snapshot: each stream appears as a file in MOUNTPOINT (read-only, or writable"
          + " with --overlay).",
      "MOUNTPOINT/.cairn/stats.json has live counters. Returns once the files are readable;"
          + " the serving process runs in the background until 'cairn umount MOUNTPOINT'."
    })
final class MountCommand implements Callable<Integer> {
  @Mixin GlobalOptions global;

  @Mixin ParentSearch parentSearch;

  @Mixin KeyOptions keys;

  @Mixin TrustOptions trust;

  @Parameters(
      index = "0",
      paramLabel = "SNAP",
      description = "Snapshot file, http(s) URL or s3://BUCKET/KEY.")
  String snap;

  @Parameters(index = "1", paramLabel = "MOUNTPOINT", description = "An existing, empty directory.")
  String mountPoint;

  @Option(
      names = "--cache-size",
      paramLabel = "SIZE",
      converter = SizeConverter.class,
      defaultValue = "256M",
      description = "Decompressed-block cache (default: ${DEFAULT-VALUE}).")
  long cacheSize;

  @Option(
      names = "--overlay",
      paramLabel = "DIR",
      description =
          "Make the primary stream writable, keeping the changes in DIR (created if missing; an"
              + " existing DIR must be empty or an overlay of this snapshot).")
  String overlay;

  @Option(
      names = "--uid",
      paramLabel = "USER",
      description =
          "Owner of the mounted files, a name or number (default: the snapshot file's owner;"
              + " the mounting user for a URL).")
  String uid;

  @Option(
      names = "--gid",
      paramLabel = "GROUP",
      description =
          "Group of the mounted files, a name or number (default: the snapshot file's group;"
              + " the mounting user's for a URL).")
  String gid;

  @Option(
      names = "--mode",
      paramLabel = "MODE",
      description =
          "Octal mode of the stream files, e.g. 0644 to let every local user read them"
              + " (default: the snapshot file's read bits, 0400 for a URL; plus the owner's"
              + " write bit for the primary stream with --overlay).")
  String mode;

  @Option(
      names = "--record-profile",
      paramLabel = "FILE",
      description =
          "Record which blocks are read, in first-read order, and write them to FILE when"
              + " unmounted: an access profile to publish next to the snapshot as SNAP.profile.")
  String recordProfile;

  @Option(
      names = "--profile",
      paramLabel = "FILE|none",
      description =
          "Access profile whose blocks are fetched in the background, in its order, from the"
              + " start (default: SNAP.profile next to the snapshot, if any; with --trust only"
              + " a signed one).")
  String profile;

  @Option(
      names = "--fetch",
      paramLabel = "WHAT",
      description =
          "profile (default): fetch the profile's blocks ahead; all: then every other block too,"
              + " so the mount keeps working when the server goes away.")
  String fetch;

  @Option(
      names = "--foreground",
      description = "Serve in this process (log to stderr) until unmounted or interrupted.")
  boolean foreground;

  @Override
  public Integer call() throws Exception {
    MountRequest request =
        MountRequest.of(
            snap,
            mountPoint,
            cacheSize,
            global.debug,
            overlay,
            parentSearch.dirs(),
            uid,
            gid,
            mode,
            keys.ring(),
            trust.trust(),
            ProfileOptions.parse(recordProfile, profile, fetch));
    if (!foreground) {
      return ServeLauncher.launch(request);
    }
    if (System.getProperty("org.slf4j.simpleLogger.log.dev.cairn") == null) {
      // before the first logger exists: lifecycle lines at info, everything with --debug
      System.setProperty("org.slf4j.simpleLogger.log.dev.cairn", global.debug ? "debug" : "info");
    }
    return MountServer.foreground(request).serve();
  }
}
