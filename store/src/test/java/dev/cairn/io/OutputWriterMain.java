package dev.cairn.io;

import java.nio.ByteBuffer;
import java.nio.file.Path;

/**
 * Test child: opens an {@link AtomicOutputFile} for {@code args[0]}, writes 1 MiB, prints "temp
 * PATH" and waits for stdin to close (then commits) or for a signal.
 */
public final class OutputWriterMain {
  private OutputWriterMain() {}

  public static void main(String[] args) throws Exception {
    try (AtomicOutputFile out = AtomicOutputFile.create(Path.of(args[0]))) {
      out.channel().write(ByteBuffer.allocate(1 << 20));
      System.out.println("temp " + out.temp());
      System.out.flush();
      while (System.in.read() >= 0) {
        // wait
      }
      out.commit();
    }
  }
}
