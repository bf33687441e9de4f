package dev.cairn.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

/**
 * The workload {@code scripts/cairn} runs once under {@code -XX:ArchiveClassesAtExit} to build the
 * command line's class-data sharing archive: a small pack (lz4 and zstd), then info, verify, cat
 * and diff of the result, and the client side of mount, umount and mounts (refused mounts and
 * {@link dev.cairn.mount.ClientTraining}), all in one JVM, so the archive holds the classes those
 * commands load. With the archive a command starts about 0.1 s sooner (measured on {@code pack}:
 * 1.75 s instead of 1.86 s for 1 GiB).
 *
 * <p>Reached through the hidden first argument {@code --cds-train}; not thread-safe (swaps {@code
 * System.out}).
 */
final class CliTraining {
  private CliTraining() {}

  static int run() {
    return QuietRun.inTempDir(
        "cairn-cds-train",
        dir -> {
          byte[] data = new byte[3 << 20];
          new Random(1).nextBytes(data);
          for (int i = 0; i < data.length; i += 8192) {
            java.util.Arrays.fill(data, i, Math.min(data.length, i + 4096), (byte) (i >> 13));
          }
          Path in = Files.write(dir.resolve("train.img"), data);
          String a = dir.resolve("a.cairn").toString();
          String b = dir.resolve("b.cairn").toString();
          int rc = 0;
          rc |= Main.run("pack", in.toString(), "-o", a, "--codec", "lz4");
          rc |= Main.run("pack", in.toString(), "-o", b, "--codec", "zstd");
          rc |= Main.run("info", a);
          rc |= Main.run("info", b, "--json");
          rc |= Main.run("verify", a);
          rc |= Main.run("cat", b, "--offset", "4096", "--length", "0"); // cat writes to fd 1
          rc |= Main.run("diff", a, b) == DiffCommand.TROUBLE ? 1 : 0; // 1 only means "different"
          // mount, umount and mounts as FastPath runs them: refused before any server is asked
          Path none = dir.resolve("no-mount-point");
          FastPath.run(new String[] {"mount", a, none.toString(), "--cache-size", "64M"});
          FastPath.run(
              new String[] {"mount", dir.resolve("none.cairn").toString(), none.toString()});
          FastPath.run(new String[] {"umount", none.toString()});
          dev.cairn.mount.ClientTraining.run(Files.createDirectory(dir.resolve("rt")));
          return rc;
        });
  }
}
