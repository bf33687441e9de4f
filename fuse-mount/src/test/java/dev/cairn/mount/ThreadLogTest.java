package dev.cairn.mount;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class ThreadLogTest {
  @Test
  void eachMountsThreadsWriteToItsLogAndOthersToTheProcessStderr() throws Exception {
    PrintStream saved = System.err;
    ByteArrayOutputStream process = new ByteArrayOutputStream();
    ByteArrayOutputStream a = new ByteArrayOutputStream();
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    System.setErr(new PrintStream(process, true, StandardCharsets.UTF_8));
    try {
      ThreadLog.install();
      ThreadLog.install(); // twice: still one level of routing
      Thread ta =
          new Thread(
              () -> {
                ThreadLog.route(new PrintStream(a, true, StandardCharsets.UTF_8));
                System.err.println("mount a");
                // a thread the mount starts (its FUSE loop, its shutdown hook) inherits the log
                Thread child = new Thread(() -> System.err.println("a's loop"));
                child.start();
                try {
                  child.join();
                } catch (InterruptedException e) {
                  throw new IllegalStateException(e);
                }
              });
      Thread tb =
          new Thread(
              () -> {
                ThreadLog.route(new PrintStream(b, true, StandardCharsets.UTF_8));
                System.err.print("mount ");
                System.err.println("b");
                ThreadLog.route(null);
                System.err.println("b done");
              });
      ta.start();
      tb.start();
      ta.join();
      tb.join();
      System.err.println("server");
    } finally {
      System.setErr(saved);
    }
    assertEquals("mount a\na's loop\n", a.toString(StandardCharsets.UTF_8));
    assertEquals("mount b\n", b.toString(StandardCharsets.UTF_8));
    assertEquals("b done\nserver\n", process.toString(StandardCharsets.UTF_8));
  }
}
