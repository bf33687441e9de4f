package dev.cairn.overlay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cairn.crypto.KeyRing;
import dev.cairn.error.OverlayInUseException;
import dev.cairn.fixture.ChildJvm;
import dev.cairn.read.Snapshot;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The durability contract with real processes: a child JVM writes through an overlay and is killed
 * with SIGKILL; whatever it fsynced must be there, byte for byte, when the overlay is reopened, and
 * whatever it had not fsynced must be wholly old or wholly new per write. Also: a second process is
 * refused while one holds the overlay. Plain, and on an encrypted base (every record of the overlay
 * sealed with AES-256-GCM) alike.
 */
@ParameterizedClass(name = "encrypted={0}")
@ValueSource(booleans = {false, true})
class OverlayCrashTest {
  /** 1 MiB + a bit: the children's writes run past it, so growth is covered too. */
  private static final int BASE_SIZE = (1 << 20) + 1234;

  @Parameter boolean encrypted;

  @TempDir Path tmp;

  private byte[] baseBytes;
  private Path dir;

  private void createOverlay() throws IOException {
    baseBytes = Bases.content(BASE_SIZE, 77);
    Path basePath = Bases.write(tmp.resolve("base.cairn"), baseBytes, 16, keys());
    dir = tmp.resolve("work");
    try (Snapshot base = Bases.open(basePath, keys())) {
      OverlayImage.create(dir, basePath, base).close();
    }
    assertEquals(encrypted, OverlayConfig.read(dir).encrypted());
  }

  private KeyRing keys() {
    return Bases.keys(encrypted);
  }

  private SnapshotOpener opener() {
    return Bases.opener(keys());
  }

  private ChildJvm child(String mode) throws IOException {
    return ChildJvm.start(
        OverlayChildMain.class, mode, dir.toString(), encrypted ? "encrypted" : "plain");
  }

  /** The model after writes {@code 0..last} (or none when last < 0). */
  private OverlayModel after(int last) {
    OverlayModel m = new OverlayModel(baseBytes);
    for (int i = 0; i <= last; i++) {
      m.write(OverlayChildMain.offset(i), OverlayChildMain.data(i));
    }
    return m;
  }

  /**
   * Checks the reopened image: writes up to {@code synced} exactly; each later write (up to {@code
   * attempted}) wholly present or wholly absent; the size covering at least the synced writes.
   */
  private void check(OverlayImage img, int synced, int attempted) throws IOException {
    OverlayModel exact = after(synced);
    assertTrue(img.size() >= exact.size, "size " + img.size() + " < " + exact.size);
    long syncedEnd = (synced + 1) * 4096L;
    exact.checkRead(img::read, 0, (int) Math.min(syncedEnd, exact.size), true, 0, "fsynced");
    int present = 0;
    for (int i = synced + 1; i < attempted; i++) {
      byte[] got = new byte[4096];
      long start = i * 4096L;
      int n = img.read(start, ByteBuffer.wrap(got));
      byte[] old = new byte[4096];
      if (start < BASE_SIZE) {
        System.arraycopy(baseBytes, (int) start, old, 0, (int) Math.min(4096, BASE_SIZE - start));
      }
      byte[] written = old.clone();
      byte[] d = OverlayChildMain.data(i);
      System.arraycopy(d, 0, written, (int) (OverlayChildMain.offset(i) - start), d.length);
      byte[] gotPart = Arrays.copyOf(got, n);
      boolean isOld = Arrays.equals(Arrays.copyOf(old, n), gotPart);
      boolean isNew = Arrays.equals(Arrays.copyOf(written, n), gotPart);
      assertTrue(isOld || isNew, "unsynced write " + i + " is neither old nor new");
      if (isNew && !isOld) {
        present++;
      }
    }
    System.out.println(
        "crash test: fsynced through write "
            + synced
            + ", "
            + present
            + " later writes survived; "
            + img.recoverySummary());
  }

  @Test
  void fsyncedDataSurvivesKillNineMidStream() throws Exception {
    createOverlay();
    int synced;
    try (ChildJvm child = child("writer")) {
      String line;
      do {
        line = child.awaitLine("SYNCED", 120);
        synced = Integer.parseInt(line.substring(7));
      } while (synced < 800);
      child.kill9();
    }
    try (OverlayImage img = OverlayImage.open(dir, opener())) {
      check(img, synced, OverlayChildMain.WRITES);
      // Usable after the crash: write, fsync, reopen.
      img.write(0, ByteBuffer.wrap(new byte[] {42}));
      img.fsync();
    }
    try (OverlayImage img = OverlayImage.open(dir, opener())) {
      ByteBuffer b = ByteBuffer.allocate(1);
      img.read(0, b);
      assertEquals(42, b.get(0));
    }
  }

  @Test
  void fsyncedDataSurvivesKillNineOfABlockedWriterAndUnsyncedWritesAreWholeOrAbsent()
      throws Exception {
    createOverlay();
    try (ChildJvm child = child("dirty")) {
      child.awaitLine("DIRTY", 120);
      child.kill9();
    }
    try (OverlayImage img = OverlayImage.open(dir, opener())) {
      check(img, 99, 200);
    }
  }

  @Test
  void anotherProcessHoldingTheOverlayIsNamedWhenRefused() throws Exception {
    createOverlay();
    try (ChildJvm child = child("hold")) {
      child.awaitLine("OPEN", 120);
      OverlayInUseException e =
          assertThrows(OverlayInUseException.class, () -> OverlayImage.open(dir, opener()));
      assertEquals(
          "overlay " + dir.toAbsolutePath().normalize() + " is in use by PID " + child.pid(),
          e.getMessage());
      child.closeStdin();
      child.awaitLine("CLOSED", 120);
      assertEquals(0, child.waitFor(60));
    }
    OverlayImage.open(dir, opener()).close();
  }
}
