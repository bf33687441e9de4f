package dev.cairn.source;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Read-around advises the kernel once per window, for small reads only. */
class ReadAroundTest {
  @TempDir Path dir;

  @Test
  void eachWindowIsAdvisedOnceAndOnlyForReadsSmallerThanIt() throws IOException {
    int window = 1 << ReadAround.WINDOW_LOG2;
    Path f = dir.resolve("f");
    Files.write(f, new byte[5 * window + 100]);
    ReadAround r = ReadAround.open(f, Files.size(f));
    assertNotNull(r, "libc's posix_fadvise is bound on Linux");
    try {
      assertTrue(r.before(10, 4096), "first read in window 0");
      assertFalse(r.before(window - 4096, 4096), "window 0 again");
      assertFalse(r.before(2L * window, window), "a read of a whole window is the kernel's");
      assertTrue(r.before(2L * window + 7, 100), "window 2, not advised for the large read");
      assertTrue(r.before(5L * window + 50, 50), "the last, short window");
      assertFalse(r.before(5L * window, 4096));
    } finally {
      r.close();
    }
  }
}
