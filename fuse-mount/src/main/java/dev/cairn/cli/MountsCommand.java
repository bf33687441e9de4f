package dev.cairn.cli;

import dev.cairn.mount.MountList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code cairn mounts [--json]}: the current user's mounts and their serving processes. */
@Command(
    name = "mounts",
    mixinStandardHelpOptions = true,
    description = {
      "List your cairn mounts: mount point, snapshot, serving process, overlay, since when, and"
          + " block cache use (used / cap)."
    })
final class MountsCommand implements Callable<Integer> {
  @Mixin GlobalOptions global;

  @Option(names = "--json", description = "One JSON object: {\"mounts\": [...]}.")
  boolean json;

  @Override
  public Integer call() {
    return print(json);
  }

  /** Prints the list; the exit code (always 0: no mounts is an empty list). */
  static int print(boolean json) {
    List<Map<String, Object>> mounts = MountList.current();
    System.out.print(json ? MountList.json(mounts) + "\n" : MountList.table(mounts));
    System.out.flush();
    return 0;
  }
}
