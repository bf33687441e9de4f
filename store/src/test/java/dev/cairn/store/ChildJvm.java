package dev.cairn.store;

import java.io.BufferedReader;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A second JVM running a {@code main} from the test class path: for tests that need another process
 * (file locks are per process) or a real {@code kill -9}. Its stdout is read line by line in the
 * background; stderr goes to this JVM's stderr.
 */
public final class ChildJvm implements Closeable {
  private static final String EOF = "\u0000EOF";

  private final Process process;
  private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
  private final List<String> seen = new ArrayList<>();

  private ChildJvm(Process process) {
    this.process = process;
    Thread t =
        new Thread(
            () -> {
              try (BufferedReader r =
                  new BufferedReader(
                      new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                  lines.add(line);
                }
              } catch (IOException e) {
                // The child died; the EOF marker below tells the waiter.
              }
              lines.add(EOF);
            },
            "child-stdout-" + process.pid());
    t.setDaemon(true);
    t.start();
  }

  /** Starts {@code main} with {@code args} in a new JVM with this JVM's class path. */
  public static ChildJvm start(Class<?> main, String... args) throws IOException {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    List<String> cmd = new ArrayList<>();
    cmd.add(java);
    cmd.add("-Xmx256m");
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(main.getName());
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd);
    pb.redirectError(ProcessBuilder.Redirect.INHERIT);
    return new ChildJvm(pb.start());
  }

  public long pid() {
    return process.pid();
  }

  /** Waits for a stdout line starting with {@code prefix} and returns it. */
  public String awaitLine(String prefix, long timeoutSeconds) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(timeoutSeconds);
    while (true) {
      long left = deadline - System.nanoTime();
      String line = left > 0 ? lines.poll(left, TimeUnit.NANOSECONDS) : null;
      if (line == null) {
        throw new AssertionError("child printed no line starting with " + prefix + ": " + seen);
      }
      if (line.equals(EOF)) {
        throw new AssertionError(
            "child exited ("
                + process.waitFor()
                + ") without printing a line starting with "
                + prefix
                + ": "
                + seen);
      }
      seen.add(line);
      if (line.startsWith(prefix)) {
        return line;
      }
    }
  }

  /** Closes the child's stdin, which the test mains take as "finish and exit". */
  public void closeStdin() throws IOException {
    process.getOutputStream().close();
  }

  /** Sends SIGKILL and waits for the process to be gone. */
  public void kill9() throws InterruptedException {
    process.destroyForcibly();
    process.waitFor(30, TimeUnit.SECONDS);
  }

  /** Waits for a normal exit and returns the exit code. */
  public int waitFor(long timeoutSeconds) throws InterruptedException {
    if (!process.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
      throw new AssertionError("child did not exit within " + timeoutSeconds + " s");
    }
    return process.exitValue();
  }

  @Override
  public void close() {
    if (process.isAlive()) {
      process.destroyForcibly();
      try {
        process.waitFor(30, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
