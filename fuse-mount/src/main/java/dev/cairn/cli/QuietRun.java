package dev.cairn.cli;

import dev.cairn.io.TemporaryFolder;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A class-data training workload's frame: a temporary directory of its own and {@code System.out}
 * and {@code System.err} silenced while it runs, both undone afterwards whatever happens.
 *
 * <p>Not thread-safe: it swaps the process's standard streams (training runs alone in its JVM).
 */
final class QuietRun {
  private QuietRun() {}

  /** What runs in the frame, given its directory; returns an exit status. */
  @FunctionalInterface
  interface Workload {
    int run(Path dir) throws IOException;
  }

  /** Runs {@code w} in a new temporary directory named from {@code prefix}; 1 if it threw. */
  static int inTempDir(String prefix, Workload w) {
    PrintStream out = System.out;
    PrintStream err = System.err;
    Path dir = null;
    try {
      dir = Files.createTempDirectory(prefix);
      PrintStream nul = new PrintStream(OutputStream.nullOutputStream());
      System.setOut(nul);
      System.setErr(nul);
      return w.run(dir);
    } catch (IOException | RuntimeException e) {
      return 1;
    } finally {
      System.setOut(out);
      System.setErr(err);
      if (dir != null) {
        try {
          TemporaryFolder.delete(dir);
        } catch (IOException e) {
          // a temporary directory left behind is harmless
        }
      }
    }
  }
}
