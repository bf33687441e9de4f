package dev.cairn.source;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.cairn.source.ChunkRuns.Run;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Coalescing missing chunks into runs: adjacency, the bound per run, bad input. */
class ChunkRunsTest {
  @Test
  void adjacentChunksBecomeOneRunUpToTheBound() {
    long[] missing = {1, 2, 3, 5, 6, 9};
    assertEquals(List.of(new Run(1, 3), new Run(5, 2), new Run(9, 1)), ChunkRuns.of(missing, 4));
    assertEquals(
        List.of(new Run(1, 2), new Run(3, 1), new Run(5, 2), new Run(9, 1)),
        ChunkRuns.of(missing, 2));
    assertEquals(6, ChunkRuns.of(missing, 1).size());
  }

  @Test
  void aLongStretchIsCutIntoRunsOfTheBound() {
    long[] missing = java.util.stream.LongStream.rangeClosed(10, 19).toArray();
    assertEquals(List.of(new Run(10, 4), new Run(14, 4), new Run(18, 2)), ChunkRuns.of(missing, 4));
    assertEquals(17, new Run(14, 4).last());
  }

  @Test
  void nothingMissingIsNoRun() {
    assertEquals(List.of(), ChunkRuns.of(new long[0], 4));
  }

  @Test
  void indicesOutOfOrderOrRepeatedAndABoundBelowOneAreRefused() {
    assertThrows(IllegalArgumentException.class, () -> ChunkRuns.of(new long[] {3, 2}, 4));
    assertThrows(IllegalArgumentException.class, () -> ChunkRuns.of(new long[] {1, 2, 2}, 4));
    assertThrows(IllegalArgumentException.class, () -> ChunkRuns.of(new long[] {1}, 0));
  }
}
