package dev.cairn.overlay;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.cairn.read.Snapshot;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

/**
 * The overlay and its store have one open/closed/writable state: whatever the overlay refuses, it
 * refuses for the store's reason, with the store's message.
 */
class OverlayStateTest {
  private static final int BASE_SIZE = 100_003;

  @TempDir Path tmp;

  @Test
  void aClosedOverlayRefusesEveryOperationWithOneMessageAndClosesOnce() throws IOException {
    Path basePath = Bases.write(tmp.resolve("base.cairn"), Bases.content(BASE_SIZE, 1), 12);
    Path dir = tmp.resolve("work");
    try (Snapshot base = Bases.open(basePath)) {
      OverlayImage img = OverlayImage.create(dir, basePath, base);
      img.write(10, ByteBuffer.wrap(new byte[] {1, 2, 3}));
      img.close();
      img.close(); // idempotent: the base and the lock are released once
      String closed = "store in " + dir.toAbsolutePath().normalize() + " is closed";
      List<Executable> ops =
          List.of(
              () -> img.read(0, ByteBuffer.allocate(10)),
              () -> img.write(0, ByteBuffer.allocate(10)),
              () -> img.truncate(BASE_SIZE + 1L),
              img::fsync,
              img::compact,
              img::view,
              () -> img.isBlockChanged(0, 4096));
      for (int i = 0; i < ops.size(); i++) {
        IOException e = assertThrows(IOException.class, ops.get(i), "operation " + i);
        assertEquals(closed, e.getMessage(), "operation " + i);
      }
      // The lock was released by the first close: the overlay opens again, with the write in it.
      try (OverlayImage again = OverlayImage.open(dir, basePath, base)) {
        ByteBuffer b = ByteBuffer.allocate(3);
        assertEquals(3, again.read(10, b));
        assertArrayEquals(new byte[] {1, 2, 3}, b.array());
      }
    }
  }

  @Test
  void aReadOnlyOverlayRefusesChangesWithOneMessage() throws IOException {
    Path basePath = Bases.write(tmp.resolve("base.cairn"), Bases.content(BASE_SIZE, 2), 12);
    Path dir = tmp.resolve("work");
    try (Snapshot base = Bases.open(basePath)) {
      OverlayImage.create(dir, basePath, base).close();
    }
    try (OverlayImage img = OverlayImage.openReadOnly(dir, Bases.opener())) {
      String readOnly = "store in " + dir.toAbsolutePath().normalize() + " is open read-only";
      List<Executable> ops =
          List.of(
              () -> img.write(0, ByteBuffer.allocate(10)),
              () -> img.truncate(BASE_SIZE + 1L),
              img::fsync,
              img::compact);
      for (int i = 0; i < ops.size(); i++) {
        IllegalStateException e =
            assertThrows(IllegalStateException.class, ops.get(i), "operation " + i);
        assertEquals(readOnly, e.getMessage(), "operation " + i);
      }
      assertEquals(false, img.compactIfWorthwhile());
      assertEquals(BASE_SIZE, img.read(0, ByteBuffer.allocate(BASE_SIZE + 10)));
    }
  }
}
