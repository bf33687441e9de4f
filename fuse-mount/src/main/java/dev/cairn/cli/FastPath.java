package dev.cairn.cli;

import dev.cairn.args.KeyArguments;
import dev.cairn.args.TrustArguments;
import dev.cairn.error.ExitCode;
import dev.cairn.io.Sizes;
import dev.cairn.mount.MountRequest;
import dev.cairn.mount.ProfileOptions;
import dev.cairn.mount.ServeLauncher;
import dev.cairn.mount.Unmounter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The common {@code cairn mount SNAP MNT [options]}, {@code cairn umount MNT} and {@code cairn
 * mounts [--json]} without picocli: building its command tree (every command, its annotations, the
 * reflection behind them) cost more start-up than the rest of a mount handed to a running server.
 * Only plain lines are taken — the options below, each once or repeatable as picocli would take
 * them — and everything else ({@code --help}, {@code --foreground}, {@code --debug}, keys, trust, a
 * malformed value, an unknown option) is left to the full parser ({@link Main#run}), which also
 * says what is wrong with it. Errors are reported as {@link ErrorHandler} does. Stateless.
 */
final class FastPath {
  private FastPath() {}

  /** The exit code of a command handled here, or null when the full parser must handle it. */
  static Integer run(String[] args) {
    if (args.length == 0) {
      return null;
    }
    if (args[0].equals("mount") || args[0].equals("umount") || args[0].equals("mounts")) {
      // the socket's set-up overlaps parsing and checks (even when the full parser ends up
      // handling the line: its commands talk to the server as well)
      ServeLauncher.prepareClient();
    }
    try {
      switch (args[0]) {
        case "mount":
          return mount(args);
        case "umount":
          if (args.length == 2 && !args[1].startsWith("-")) {
            return new Unmounter(args[1]).unmount();
          }
          return null;
        case "mounts":
          if (args.length == 1 || (args.length == 2 && args[1].equals("--json"))) {
            return MountsCommand.print(args.length == 2);
          }
          return null;
        default:
          return null;
      }
    } catch (Exception e) {
      System.err.println("cairn: " + ExitCode.message(e));
      System.err.flush();
      return ExitCode.of(e);
    }
  }

  private static Integer mount(String[] args) throws Exception {
    List<String> positional = new ArrayList<>();
    List<Path> parentSearch = new ArrayList<>();
    Map<String, String> once = new HashMap<>(); // options given at most once
    boolean optionsEnd = false;
    for (int i = 1; i < args.length; i++) {
      String a = args[i];
      if (optionsEnd || !a.startsWith("-") || a.equals("-")) {
        positional.add(a);
        continue;
      }
      if (a.equals("--")) {
        // the end of the options, as picocli takes it (mount.fuse.cairn passes SNAP DIR after it)
        optionsEnd = true;
        continue;
      }
      int eq = a.indexOf('=');
      String name = eq < 0 ? a : a.substring(0, eq);
      String value;
      if (eq >= 0) {
        value = a.substring(eq + 1);
      } else if (i + 1 < args.length) {
        value = args[++i];
      } else {
        return null;
      }
      switch (name) {
        case "--cache-size", "--overlay", "--uid", "--gid", "--mode" -> {
          if (once.putIfAbsent(name, value) != null) {
            return null; // given twice: picocli says so
          }
        }
        case "--parent-search" -> parentSearch.add(Path.of(value));
        default -> {
          return null;
        }
      }
    }
    if (positional.size() != 2) {
      return null;
    }
    long cache;
    try {
      cache = Sizes.parse(once.getOrDefault("--cache-size", "256M"));
    } catch (IllegalArgumentException e) {
      return null; // picocli says what is wrong with it
    }
    MountRequest request =
        MountRequest.of(
            positional.get(0),
            positional.get(1),
            cache,
            false,
            once.get("--overlay"),
            parentSearch,
            once.get("--uid"),
            once.get("--gid"),
            once.get("--mode"),
            KeyArguments.ring(List.of()),
            TrustArguments.read(List.of()),
            ProfileOptions.DEFAULT);
    return ServeLauncher.launch(request);
  }
}
