package dev.cairn.os;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class BackgroundPriorityTest {
  /** The nice value of the calling thread, as the kernel reports it (field 19 of its stat). */
  private static int niceOfThisThread() throws IOException {
    String stat = Files.readString(Path.of("/proc/thread-self/stat"));
    // the command name, field 2, is in parentheses and may hold spaces: count from after it
    String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    return Integer.parseInt(f[19 - 3]);
  }

  @Test
  void lowersOnlyTheCallingThread() throws Exception {
    int mine = niceOfThisThread();
    AtomicInteger seen = new AtomicInteger(Integer.MIN_VALUE);
    AtomicReference<Throwable> failed = new AtomicReference<>();
    AtomicReference<Boolean> lowered = new AtomicReference<>();
    Thread t =
        new Thread(
            () -> {
              try {
                lowered.set(BackgroundPriority.lowerCurrentThread());
                seen.set(niceOfThisThread());
              } catch (Throwable e) {
                failed.set(e);
              }
            });
    t.start();
    t.join();
    if (failed.get() != null) {
      throw new AssertionError(failed.get());
    }
    assertTrue(lowered.get(), "setpriority on the thread's own id failed");
    assertEquals(BackgroundPriority.NICE, seen.get());
    assertEquals(mine, niceOfThisThread(), "the caller of another thread's lowering kept its own");
  }
}
