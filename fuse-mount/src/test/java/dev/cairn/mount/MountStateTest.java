package dev.cairn.mount;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MountStateTest {
  @TempDir Path tmp;

  private static MountState sample(long pid, long start) {
    return new MountState(
        pid,
        start,
        77,
        "/data/base snap.cairn",
        Path.of("/mnt/s"),
        Path.of("/var/tmp/cairn/mount-x.log"),
        256L << 20);
  }

  @Test
  void roundTripsThroughAFile() throws Exception {
    MountState s = sample(1234, 1_700_000_000_000L);
    Path f = tmp.resolve("m.state");
    s.write(f);
    assertEquals(s, MountState.read(f).orElseThrow());
    try (var files = Files.list(tmp)) {
      assertEquals(1, files.count(), "no temporary file left behind");
    }
  }

  @Test
  void foregroundMountsHaveNoLog() throws Exception {
    MountState s = new MountState(1, 0, 0, "/a", Path.of("/b"), null, 1);
    assertEquals(s, MountState.decode(s.encode()));
  }

  @Test
  void missingOrMalformedFilesReadAsAbsent() throws Exception {
    assertTrue(MountState.read(tmp.resolve("none")).isEmpty());
    Path bad = tmp.resolve("bad");
    Files.writeString(bad, "pid=x\nsnapshot=/a\nmount_point=/b\n");
    assertTrue(MountState.read(bad).isEmpty());
    assertThrows(IOException.class, () -> MountState.decode("pid=1\n"));
  }

  @Test
  void liveProcessChecksPidAndStartTime() {
    ProcessHandle me = ProcessHandle.current();
    long start = MountState.startMillis(me);
    assertTrue(sample(me.pid(), start).liveProcess().isPresent());
    assertTrue(sample(me.pid(), 0).liveProcess().isPresent());
    assertFalse(sample(me.pid(), start - 3_600_000).liveProcess().isPresent(), "pid reused");
    assertFalse(sample(0, 0).liveProcess().isPresent());
  }

  @Test
  void runningAndAwaitGone() throws Exception {
    assertTrue(MountState.running(ProcessHandle.current().pid()));
    Process p = new ProcessBuilder("true").start();
    long pid = p.pid();
    assertTrue(MountState.awaitGone(pid, 10_000) || p.waitFor() == 0);
    p.waitFor();
    assertFalse(MountState.running(pid));
    assertFalse(MountState.running(Long.MAX_VALUE));
  }
}
