package dev.cairn.fuse;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class FailureLogTest {
  private static final long MS = 1_000_000L;

  private final AtomicLong now = new AtomicLong(1_000 * MS);
  private final List<String> lines = new ArrayList<>();
  private final FailureLog log = new FailureLog(now::get, Duration.ofSeconds(10), 3, lines::add);

  private static final FailureLog.Key B7 = new FailureLog.Key("disk.img", 7);

  private void fail(FailureLog.Key key, int times, long stepMillis) {
    for (int i = 0; i < times; i++) {
      log.failed(key, () -> "EIO: stream " + key.where() + ", block " + key.block());
      now.addAndGet(stepMillis * MS);
    }
  }

  @Test
  void firstFailureInFullRepeatsSummarisedOncePerWindow() {
    fail(B7, 1, 1); // t = 0: logged in full
    fail(B7, 4_211, 2); // t = 0.001 .. 8.423 s: counted
    assertEquals(List.of("EIO: stream disk.img, block 7"), lines);
    now.set(1_000 * MS + 10_000 * MS); // 10 s after the first line: the next one is summarised
    fail(B7, 1, 0);
    assertEquals(
        List.of(
            "EIO: stream disk.img, block 7",
            "repeated 4,212 times in the last 10 s: EIO: stream disk.img, block 7"),
        lines);
    fail(B7, 5, 1_000); // within the next window: counted only
    assertEquals(2, lines.size());
    log.flush();
    assertEquals("repeated 5 times in the last 5 s: EIO: stream disk.img, block 7", lines.get(2));
    log.flush();
    assertEquals(3, lines.size(), "nothing pending twice");
  }

  @Test
  void otherBlocksAreLoggedInFullUpToTheCapPerSecond() {
    for (int b = 0; b < 10; b++) {
      fail(new FailureLog.Key("disk.img", b), 1, 10);
    }
    assertEquals(
        List.of(
            "EIO: stream disk.img, block 0",
            "EIO: stream disk.img, block 1",
            "EIO: stream disk.img, block 2"),
        lines);
    now.addAndGet(1_000 * MS);
    fail(new FailureLog.Key("disk.img", 5), 1, 0); // held back before: logged in full now
    assertEquals(
        List.of(
            "EIO: stream disk.img, block 0",
            "EIO: stream disk.img, block 1",
            "EIO: stream disk.img, block 2",
            "7 log lines about failed requests held back (at most 3 a second; the \"errors\""
                + " count in .cairn/stats.json has every failure)",
            "EIO: stream disk.img, block 5"),
        lines);
  }

  @Test
  void aStormOfOneBlockForAMinuteWritesAHandfulOfLines() {
    fail(B7, 60_000, 1); // one failure a millisecond for 60 s
    log.flush();
    assertEquals(7, lines.size(), lines.toString()); // 1 in full, 5 in-window summaries, 1 flush
    long counted = 0;
    for (String l : lines.subList(1, lines.size())) {
      counted += Long.parseLong(l.replaceAll("repeated ([0-9,]+) times.*", "$1").replace(",", ""));
    }
    assertEquals(59_999, counted, "every repeat is counted in some summary");
  }

  @Test
  void trackedBlocksAreBounded() {
    for (int b = 0; b < FailureLog.MAX_BLOCKS * 3; b++) {
      fail(new FailureLog.Key("disk.img", b), 1, 400);
    }
    // one line in full per block at 2.5 failures a second, under the cap of 3: nothing lost
    assertEquals(FailureLog.MAX_BLOCKS * 3, lines.size());
  }
}
