package dev.cairn.overlay;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Random;

/**
 * Child process for {@link OverlayCrashTest}: opens the overlay {@code args[1]} (on a base
 * encrypted with {@link Bases#KEYS} if {@code args[2]} is {@code encrypted}) and then, by mode
 * {@code args[0]}:
 *
 * <ul>
 *   <li>{@code hold}: prints {@code OPEN}, keeps it open until stdin closes, closes it;
 *   <li>{@code writer}: performs {@link #WRITES} writes ({@link #write}), fsyncing after every
 *       eighth and printing {@code SYNCED i} (i the last write covered) after each fsync, then
 *       sleeps until killed;
 *   <li>{@code dirty}: writes 0..99 and fsyncs ({@code SYNCED 99}), writes 100..199 without fsync
 *       ({@code DIRTY}), then sleeps until killed.
 * </ul>
 */
public final class OverlayChildMain {
  static final int WRITES = 3000;

  private OverlayChildMain() {}

  public static void main(String[] args) throws Exception {
    String mode = args[0];
    Path dir = Path.of(args[1]);
    boolean encrypted = args.length > 2 && args[2].equals("encrypted");
    OverlayImage img = OverlayImage.open(dir, Bases.opener(Bases.keys(encrypted)));
    switch (mode) {
      case "hold" -> {
        System.out.println("OPEN " + ProcessHandle.current().pid());
        System.out.flush();
        while (System.in.read() >= 0) {
          // Hold until the parent closes our stdin.
        }
        img.close();
        System.out.println("CLOSED");
        return;
      }
      case "writer" -> {
        for (int i = 0; i < WRITES; i++) {
          write(img, i);
          if (i % 8 == 7) {
            img.fsync();
            System.out.println("SYNCED " + i);
            System.out.flush();
          }
        }
      }
      case "dirty" -> {
        for (int i = 0; i < 100; i++) {
          write(img, i);
        }
        img.fsync();
        System.out.println("SYNCED 99");
        for (int i = 100; i < 200; i++) {
          write(img, i);
        }
        System.out.println("DIRTY");
        System.out.flush();
      }
      default -> throw new IllegalArgumentException(mode);
    }
    Thread.sleep(Long.MAX_VALUE);
  }

  /**
   * Write {@code i}: a whole 4 KiB chunk (even i) or 3000 bytes from byte 100 of one (odd i), of
   * chunk i, with bytes derived from i. Each write touches only its own chunk, so after a crash
   * each one is either wholly there or wholly absent.
   */
  static void write(OverlayImage img, int i) throws java.io.IOException {
    img.write(offset(i), ByteBuffer.wrap(data(i)));
  }

  static long offset(int i) {
    return i * 4096L + (i % 2 == 0 ? 0 : 100);
  }

  static byte[] data(int i) {
    byte[] b = new byte[i % 2 == 0 ? 4096 : 3000];
    new Random(i * 31L + 7).nextBytes(b);
    return b;
  }
}
