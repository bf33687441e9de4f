package dev.cairn.cli;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs a command again in a JVM with both JIT tiers when this JVM stops at tier 1 and the work
 * needs C2. {@code scripts/cairn} runs every {@code pack} at tier 1 (its codecs are native and XXH3
 * hashes well there, while C2 spends CPU compiling); a thin pack whose chain hashes with SHA-256
 * (format 1.0 and its children) is the exception, because only C2 hashes SHA-256 with the CPU's SHA
 * instructions. Only the pack knows its parent's hash, so the decision is made here rather than by
 * the wrapper reading the header.
 *
 * <p>Thread-safety: stateless; called once from the command's thread before any work.
 */
final class FullJit {
  static final String TIER_ONE = "-XX:TieredStopAtLevel=1";

  private FullJit() {}

  /** Whether this JVM was started with the JIT capped at tier 1. */
  static boolean capped() {
    return ManagementFactory.getRuntimeMXBean().getInputArguments().contains(TIER_ONE);
  }

  /**
   * Runs {@code java} with this JVM's flags except the tier cap, its class path and {@code Main}
   * with {@code args}, sharing stdin, stdout and stderr; returns its exit code.
   */
  static int rerun(List<String> args) throws IOException {
    String java =
        ProcessHandle.current()
            .info()
            .command()
            .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    List<String> cmd = new ArrayList<>();
    cmd.add(java);
    for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
      if (!a.equals(TIER_ONE)) {
        cmd.add(a);
      }
    }
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(Main.class.getName());
    cmd.addAll(args);
    Process p = new ProcessBuilder(cmd).inheritIO().start();
    try {
      return p.waitFor();
    } catch (InterruptedException e) {
      p.destroy();
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while the full-JIT pack ran", e);
    }
  }
}
