package dev.cairn.fuse;

import java.io.IOException;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * Keeps the log of failed requests small when a program retries a damaged block in a loop (one
 * reader of a damaged snapshot once wrote 56,072 lines in 10 s).
 *
 * <p>The first failure of a block is logged in full. Further failures of the same block are counted
 * and summarised at most once per {@code repeatWindow}, as {@code "repeated 4,211 times in the last
 * 10 s: <the full line>"}, so every summary still names the snapshot, stream, block and cause. On
 * top of that, at most {@code linesPerSecond} lines are written per second; a first line held back
 * by that cap is written at the block's next failure after it, and a line saying how many were held
 * back precedes the next line written. Counts still pending are written by {@link #flush()} (at
 * unmount). Every failure is also counted in {@code stats.json}, whatever is logged.
 *
 * <p>At most {@value #MAX_BLOCKS} blocks are tracked; beyond that, blocks with nothing pending are
 * forgotten first (their next failure is logged in full again).
 *
 * <p>Thread-safe: all methods are synchronized (only failures get here, never a successful read).
 */
final class FailureLog {
  static final int MAX_BLOCKS = 4096;
  private static final long SECOND = 1_000_000_000L;

  /** What failed: a block of a stream of a snapshot, or a chunk of an overlay. */
  record Key(String where, long block) {}

  private static final class Entry {
    long windowStart;
    long repeats;
    boolean logged;
    Supplier<String> last;
  }

  private final LongSupplier nanoClock;
  private final long windowNanos;
  private final int linesPerSecond;
  private final Consumer<String> sink;
  private final Map<Key, Entry> blocks = new HashMap<>();
  private long secondStart;
  private int linesThisSecond;
  private long heldBack;

  /**
   * @param nanoClock monotonic time in nanoseconds ({@code System::nanoTime})
   * @param repeatWindow how often a block's repeats are summarised at most
   * @param linesPerSecond the most lines written in any one second
   * @param sink where lines go (a logger's {@code warn})
   */
  FailureLog(
      LongSupplier nanoClock, Duration repeatWindow, int linesPerSecond, Consumer<String> sink) {
    if (repeatWindow.isNegative() || repeatWindow.isZero() || linesPerSecond < 1) {
      throw new IllegalArgumentException("window and lines per second must be positive");
    }
    this.nanoClock = nanoClock;
    this.windowNanos = repeatWindow.toNanos();
    this.linesPerSecond = linesPerSecond;
    this.sink = sink;
    this.secondStart = nanoClock.getAsLong();
  }

  /**
   * Records one failure of {@code key}; {@code line} describes it in full (called only when a line
   * is written).
   */
  synchronized void failed(Key key, Supplier<String> line) {
    long now = nanoClock.getAsLong();
    Entry e = blocks.get(key);
    if (e == null) {
      if (blocks.size() >= MAX_BLOCKS) {
        blocks.values().removeIf(x -> x.logged && x.repeats == 0);
        if (blocks.size() >= MAX_BLOCKS) {
          blocks.clear();
        }
      }
      e = new Entry();
      e.windowStart = now;
      blocks.put(key, e);
    }
    e.last = line;
    if (!e.logged) {
      if (allow(now)) {
        sink.accept(line.get());
        e.logged = true;
        e.repeats = 0;
        e.windowStart = now;
      }
      return;
    }
    e.repeats++;
    if (now - e.windowStart >= windowNanos && allow(now)) {
      sink.accept(summary(e, now));
      e.repeats = 0;
      e.windowStart = now;
    }
  }

  /** Writes the summaries still pending (repeats not yet reported), regardless of the cap. */
  synchronized void flush() {
    long now = nanoClock.getAsLong();
    noteHeldBack();
    for (Entry e : blocks.values()) {
      if (e.repeats > 0) {
        sink.accept(summary(e, now));
        e.repeats = 0;
        e.windowStart = now;
      }
    }
  }

  private String summary(Entry e, long now) {
    long seconds = Math.max(1, (now - e.windowStart + SECOND / 2) / SECOND);
    return String.format(
        "repeated %,d time%s in the last %d s: %s",
        e.repeats, e.repeats == 1 ? "" : "s", seconds, e.last.get());
  }

  /** Whether a line may be written now under the per-second cap; counts it if so. */
  private boolean allow(long now) {
    if (now - secondStart >= SECOND) {
      secondStart = now;
      linesThisSecond = 0;
      noteHeldBack();
    }
    if (linesThisSecond >= linesPerSecond) {
      heldBack++;
      return false;
    }
    linesThisSecond++;
    return true;
  }

  private void noteHeldBack() {
    if (heldBack > 0) {
      sink.accept(
          String.format(
              "%,d log line%s about failed requests held back (at most %d a second; the"
                  + " \"errors\" count in .cairn/stats.json has every failure)",
              heldBack, heldBack == 1 ? "" : "s", linesPerSecond));
      heldBack = 0;
    }
  }

  /** A failure as one log line's tail: an I/O error's own message, else the throwable itself. */
  static String oneLine(Throwable e) {
    String m = e instanceof IOException && e.getMessage() != null ? e.getMessage() : e.toString();
    return m.replace('\n', ' ');
  }
}
