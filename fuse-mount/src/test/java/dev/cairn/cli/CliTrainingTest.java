package dev.cairn.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.io.PrintStream;
import org.junit.jupiter.api.Test;

class CliTrainingTest {
  /** scripts/cairn keeps the archive only if the training run exits 0: every command must pass. */
  @Test
  void everyTrainingCommandSucceedsAndTheStandardStreamsAreRestored() {
    PrintStream out = System.out;
    PrintStream err = System.err;
    assertEquals(0, CliTraining.run());
    assertSame(out, System.out);
    assertSame(err, System.err);
  }
}
