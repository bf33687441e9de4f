package dev.cairn.mount;

import dev.cairn.args.KeyArguments;
import dev.cairn.crypto.KeyRing;
import dev.cairn.fuse.FuseAvailability;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Starting a process that outlives its starter (a mount's serving process, a server, a class-data
 * training run): detached through {@code /bin/sh}, in its own session where {@code setsid} exists.
 *
 * <p>Stateless; thread-safe.
 */
final class DetachedProcess {
  private DetachedProcess() {}

  /**
   * Starts {@code command} in the background through {@code /bin/sh}, which returns its pid and
   * exits at once; stdin from /dev/null, stdout and stderr to {@code output}, working directory /
   * (never keep the caller's directory busy).
   *
   * <p>Not a {@link Process} of ours on purpose: a JVM with a thread blocked in {@code waitpid} for
   * a child that is still running — the reaper thread of every {@link Process} — spends 300 ms in
   * its own exit waiting for that thread, which would be a fifth of {@code cairn mount}.
   */
  static long start(List<String> command, Path output) throws IOException {
    return start(command, output, KeyRing.NONE, false);
  }

  /**
   * Like {@link #start(List, Path)}; with {@code send}, non-empty {@code keys} are written to the
   * command's stdin, a pipe (sh relays them with {@code cat} in the foreground: the JDK closes our
   * end of a child's stdin once that child has exited, so sh must outlive the write; and sh gives a
   * background command /dev/null for stdin unless another descriptor, 4 here, carries the pipe).
   * Either way every variable holding one of their passphrases is left out of the environment (a
   * server gets each mount's keys with its request).
   */
  static long start(List<String> command, Path output, KeyRing keys, boolean send)
      throws IOException {
    boolean pipe = send && !keys.isEmpty();
    List<String> sh = new ArrayList<>();
    sh.add("/bin/sh");
    sh.add("-c");
    sh.add(
        pipe
            ? "out=$1; shift; cat | { exec 4<&0; \"$@\" <&4 4<&- >\"$out\" 2>&1 & echo $!; }"
            : "out=$1; shift; \"$@\" </dev/null >\"$out\" 2>&1 & echo $!");
    sh.add("cairn-launch");
    sh.add(output.toString());
    sh.addAll(command);
    ProcessBuilder pb =
        new ProcessBuilder(sh)
            .directory(new File("/"))
            .redirectInput(
                pipe
                    ? ProcessBuilder.Redirect.PIPE
                    : ProcessBuilder.Redirect.from(new File("/dev/null")))
            .redirectErrorStream(true);
    KeyArguments.scrub(pb.environment(), keys);
    Process p = pb.start();
    if (pipe) {
      try {
        KeyArguments.send(keys, p.getOutputStream());
      } catch (IOException e) {
        // nobody reads them: the serving process died at once, and its log says why
      }
    }
    String out;
    try (java.io.InputStream in = p.getInputStream()) {
      out = new String(in.readAllBytes(), StandardCharsets.UTF_8).strip();
    }
    try {
      p.waitFor();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while starting " + command.get(0));
    }
    String last = out.lines().reduce((a, b) -> b).orElse("");
    if (p.exitValue() != 0 || !last.matches("[0-9]+")) {
      throw new IOException("cannot start " + command.get(0) + ": " + out.replace('\n', ' '));
    }
    return Long.parseLong(last);
  }

  /** {@code setsid} to start the serving process in its own session, or null if missing. */
  static String setsid() {
    List<Path> dirs = new ArrayList<>();
    String path = System.getenv("PATH");
    if (path != null) {
      for (String d : path.split(":")) {
        if (!d.isEmpty()) {
          dirs.add(Path.of(d));
        }
      }
    }
    dirs.add(Path.of("/usr/bin"));
    dirs.add(Path.of("/bin"));
    return FuseAvailability.findExecutable(dirs, "setsid").map(Path::toString).orElse(null);
  }
}
