package dev.cairn.cli;

import dev.cairn.mount.Unmounter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

/**
 * {@code cairn umount MOUNTPOINT}: unmounts a cairn mount and returns once its serving process has
 * exited (see {@link Unmounter}).
 */
@Command(
    name = "umount",
    mixinStandardHelpOptions = true,
    description = "Unmount a cairn mount and wait for its serving process to exit.")
final class UmountCommand implements Callable<Integer> {
  @Mixin GlobalOptions global;

  @Parameters(
      index = "0",
      paramLabel = "MOUNTPOINT",
      description = "Where the snapshot is mounted.")
  String mountPoint;

  @Override
  public Integer call() throws Exception {
    return new Unmounter(mountPoint).unmount();
  }
}
