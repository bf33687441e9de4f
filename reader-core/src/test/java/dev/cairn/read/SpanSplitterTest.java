package dev.cairn.read;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class SpanSplitterTest {
  @Test
  void bothHalvesRunAndTheSecondMayRunElsewhere() throws IOException {
    Set<String> threads = ConcurrentHashMap.newKeySet();
    AtomicInteger ran = new AtomicInteger();
    for (int i = 0; i < 50; i++) {
      SpanSplitter.run(
          () -> {
            ran.incrementAndGet();
            threads.add(Thread.currentThread().getName());
          },
          () -> {
            ran.incrementAndGet();
            threads.add(Thread.currentThread().getName());
          });
    }
    assertEquals(100, ran.get());
    assertEquals(true, threads.contains(Thread.currentThread().getName()));
  }

  @Test
  void aFailureInEitherHalfIsThrownAfterBothFinished() {
    IOException boom = new IOException("block 7 is damaged");
    AtomicInteger finished = new AtomicInteger();
    IOException e =
        assertThrows(
            IOException.class,
            () ->
                SpanSplitter.run(
                    finished::incrementAndGet,
                    () -> {
                      throw boom;
                    }));
    assertSame(boom, e);
    assertEquals(1, finished.get());
    IOException first =
        assertThrows(
            IOException.class,
            () ->
                SpanSplitter.run(
                    () -> {
                      throw boom;
                    },
                    finished::incrementAndGet));
    assertSame(boom, first);
    assertEquals(2, finished.get(), "the helper's half completed before the failure was thrown");
  }
}
