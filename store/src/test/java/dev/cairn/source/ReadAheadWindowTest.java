package dev.cairn.source;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cairn.source.ReadAheadWindow.Span;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Which chunks a reader's accesses set off, as a pure function of their order. */
class ReadAheadWindowTest {

  /** Reads chunks 0..last in order; returns the spans handed out. */
  private static List<Span> sequential(ReadAheadWindow w, long last, int linkChunks) {
    List<Span> out = new ArrayList<>();
    for (long c = 0; c <= last; c++) {
      Span s = w.onAccess(c, last, linkChunks);
      if (s != null) {
        out.add(s);
      }
    }
    return out;
  }

  @Test
  void anInitialWindowOfZeroNeverReadsAhead() {
    assertEquals(List.of(), sequential(new ReadAheadWindow(0, 24), 100, 50));
  }

  @Test
  void aSecondForwardStepOpensTheInitialWindowAndTheFirstStepNothing() {
    ReadAheadWindow w = new ReadAheadWindow(4, 24);
    assertNull(w.onAccess(0, 100, 0));
    assertEquals(new Span(2, 5, 1), w.onAccess(1, 100, 0));
    assertEquals(4, w.window());
  }

  @Test
  void aSequentialReaderGetsEveryLaterChunkOnceInRunsOfSeveralChunks() {
    ReadAheadWindow w = new ReadAheadWindow(4, 24);
    List<Span> spans = sequential(w, 200, 0);
    BitSet seen = new BitSet();
    for (Span s : spans) {
      for (long c = s.first(); c <= s.last(); c++) {
        assertTrue(!seen.get((int) c), "chunk " + c + " handed out twice: " + spans);
        seen.set((int) c);
      }
    }
    assertEquals(199, seen.cardinality(), "chunks 2..200 handed out");
    assertEquals(2, seen.nextSetBit(0));
    // without a measured link the window stays at twice the initial one
    assertEquals(8, w.window());
  }

  @Test
  void theWindowGrowsWithTheLinkUpToItsBoundAndNoFurther() {
    ReadAheadWindow slow = new ReadAheadWindow(4, 24);
    sequential(slow, 200, 12);
    assertEquals(12, slow.window());
    ReadAheadWindow fast = new ReadAheadWindow(4, 24);
    List<Span> spans = sequential(fast, 200, 1000);
    assertEquals(24, fast.window());
    for (Span s : spans) {
      assertTrue(s.last() - s.first() < 24, s.toString());
    }
  }

  @Test
  void aJumpClosesTheWindowAndRandomReadsReadNothingAhead() {
    ReadAheadWindow w = new ReadAheadWindow(4, 24);
    sequential(w, 20, 0);
    assertNull(w.onAccess(500, 1000, 0));
    assertEquals(0, w.window());
    for (long c : new long[] {37, 900, 3, 250, 620}) {
      assertNull(w.onAccess(c, 1000, 0), "chunk " + c);
    }
    assertEquals(new Span(622, 625, 1), w.onAccess(621, 1000, 0), "one step forward reopens it");
  }

  @Test
  void neighboursServedOutOfOrderKeepTheWindow() {
    ReadAheadWindow w = new ReadAheadWindow(4, 24);
    w.onAccess(10, 100, 0);
    w.onAccess(11, 100, 0);
    w.onAccess(12, 100, 0);
    int before = w.window();
    assertNull(w.onAccess(11, 100, 0));
    assertEquals(before, w.window());
    assertTrue(w.window() > 0);
  }

  @Test
  void theWindowStopsAtTheLastChunk() {
    ReadAheadWindow w = new ReadAheadWindow(4, 24);
    w.onAccess(0, 3, 0);
    assertEquals(new Span(2, 3, 1), w.onAccess(1, 3, 0));
    assertNull(w.onAccess(2, 3, 0));
    assertNull(w.onAccess(3, 3, 0));
  }

  @Test
  void rewoundChunksAreOfferedAgainOnTheNextStep() {
    ReadAheadWindow w = new ReadAheadWindow(4, 24);
    w.onAccess(0, 100, 0);
    assertEquals(new Span(2, 5, 1), w.onAccess(1, 100, 0));
    w.rewind(1); // none of 2..5 could be started
    Span again = w.onAccess(2, 100, 0);
    assertEquals(3, again.first(), again.toString());
  }

  @Test
  void spansComeInWholeRunsOfAQuarterWindowExceptAtTheEnd() {
    ReadAheadWindow w = new ReadAheadWindow(4, 24, 4);
    List<Span> spans = sequential(w, 101, 1000);
    BitSet seen = new BitSet();
    for (Span s : spans) {
      long n = s.last() - s.first() + 1;
      assertTrue(s.run() >= 1 && s.run() <= 4, s.toString());
      assertTrue(n % s.run() == 0 || s.last() == 101, s + " in " + spans);
      seen.set((int) s.first(), (int) s.last() + 1);
    }
    assertEquals(100, seen.cardinality(), "chunks 2..101 each once");
    assertEquals(101, spans.get(spans.size() - 1).last());
    // once the window is 16 or more, runs of 4: a quarter of the steps send a request
    assertEquals(4, spans.get(spans.size() - 2).run());
    assertTrue(spans.size() <= 100 / 4 + 6, spans.size() + " spans: " + spans);
  }

  @Test
  void aSmallWindowKeepsSeveralSmallRunsGoing() {
    ReadAheadWindow w = new ReadAheadWindow(4, 8, 4);
    List<Span> spans = sequential(w, 100, 0);
    assertEquals(8, w.window());
    assertEquals(2, spans.get(spans.size() - 2).run(), "a quarter of 8");
  }
}
