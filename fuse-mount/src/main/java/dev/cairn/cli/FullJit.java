package dev.cairn.cli;

import dev.cairn.args.KeyArguments;
import dev.cairn.crypto.KeyRing;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs a command again in a JVM with both JIT tiers when this JVM stops at tier 1 and the work
 * needs C2. {@code scripts/cairn} runs every {@code pack} at tier 1 (its codecs are native and XXH3
 * hashes well there, while C2 spends CPU compiling). The exceptions need the CPU's instructions
 * that only C2's intrinsics use: a thin pack whose chain hashes with SHA-256 (format 1.0 and its
 * children; SHA instructions), and, only where libcrypto cannot be loaded (AES-GCM is then the
 * JDK's: about 18 MB/s at tier 1, 2 GB/s with C2), a pack that encrypts ({@code --encrypt}) or
 * reads an encrypted parent. Only the pack knows its options and its parent's header, so the
 * decision is made here rather than by the wrapper reading the format.
 *
 * <p>The key ring goes to the new JVM over its standard input ({@link Main#KEYS_ON_STDIN}), and the
 * variables holding passphrases are left out of its environment.
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
   * with {@code args}, sharing stdout and stderr, and stdin unless there are {@code keys} to hand
   * over; returns its exit code.
   */
  static int rerun(List<String> args, KeyRing keys) throws IOException {
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
    cmd.add(dev.cairn.mount.ClassPath.forChild());
    cmd.add(Main.class.getName());
    if (!keys.isEmpty()) {
      cmd.add(Main.KEYS_ON_STDIN);
    }
    cmd.addAll(args);
    ProcessBuilder pb = new ProcessBuilder(cmd).inheritIO();
    Process p;
    if (keys.isEmpty()) {
      p = pb.start();
    } else {
      KeyArguments.scrub(pb.environment(), keys);
      p = pb.redirectInput(ProcessBuilder.Redirect.PIPE).start();
      try {
        KeyArguments.send(keys, p.getOutputStream());
      } catch (IOException e) {
        // it died before reading them: its exit code and message say why
      }
    }
    try {
      return p.waitFor();
    } catch (InterruptedException e) {
      p.destroy();
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while the full-JIT pack ran", e);
    }
  }
}
