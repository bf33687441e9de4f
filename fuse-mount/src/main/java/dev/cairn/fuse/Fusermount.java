package dev.cairn.fuse;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs {@code fusermount -u}. Stateless. */
public final class Fusermount {
  private Fusermount() {}

  /** Outcome of one {@code fusermount} run. */
  public record Result(int exitCode, String message) {
    public boolean ok() {
      return exitCode == 0;
    }

    /** True when the kernel refused because files on the mount are in use. */
    public boolean busy() {
      return message.contains("busy");
    }
  }

  /**
   * Unmounts {@code mountPoint}; {@code lazy} detaches it even while busy. Waits for fusermount (at
   * most 30 s).
   */
  public static Result unmount(Path mountPoint, boolean lazy) throws IOException {
    List<String> cmd = new ArrayList<>(List.of("fusermount", "-u"));
    if (lazy) {
      cmd.add("-z");
    }
    cmd.add("--");
    cmd.add(mountPoint.toString());
    Process p =
        new ProcessBuilder(cmd)
            .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
            .redirectErrorStream(true)
            .start();
    String out;
    try (InputStream in = p.getInputStream()) {
      out = new String(in.readAllBytes(), StandardCharsets.UTF_8).strip();
    }
    try {
      if (!p.waitFor(30, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        return new Result(-1, "fusermount did not finish within 30 s");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      p.destroyForcibly();
      throw new IOException("interrupted while unmounting " + mountPoint);
    }
    String first = out.isEmpty() ? "" : out.lines().findFirst().orElse("");
    return new Result(p.exitValue(), first);
  }
}
