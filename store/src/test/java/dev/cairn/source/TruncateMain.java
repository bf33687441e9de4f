package dev.cairn.source;

import java.io.RandomAccessFile;

/**
 * Child process for {@link MappedByteSourceTest}: truncates {@code args[0]} to {@code args[1]}
 * bytes the way {@code cp} and {@code truncate(2)} do (an open for writing, which waits for a file
 * lease to be given up) and prints {@code TRUNCATED <milliseconds the open and truncation took>}.
 */
public final class TruncateMain {
  private TruncateMain() {}

  public static void main(String[] args) throws Exception {
    long t0 = System.nanoTime();
    try (RandomAccessFile f = new RandomAccessFile(args[0], "rw")) {
      f.setLength(Long.parseLong(args[1]));
    }
    System.out.println("TRUNCATED " + (System.nanoTime() - t0) / 1_000_000);
  }
}
