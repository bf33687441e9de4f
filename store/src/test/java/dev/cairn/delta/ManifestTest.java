package dev.cairn.delta;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cairn.error.CorruptStoreException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ManifestTest {
  @TempDir Path dir;

  private static long[] attrs(long... first) {
    long[] a = new long[Manifest.ATTRIBUTES];
    System.arraycopy(first, 0, a, 0, first.length);
    return a;
  }

  @Test
  void syncedChangesSurviveReopen() throws IOException {
    ManifestModel model = new ManifestModel();
    model.attributes[0] = 12345;
    Random r = new Random(1);
    try (Manifest m = Manifest.create(dir, attrs(12345))) {
      model.assertMatches(m, "created");
      for (int batch = 0; batch < 20; batch++) {
        for (int i = 0; i < 100; i++) {
          model.randomChange(m, r, 500);
        }
        m.sync();
      }
      model.assertMatches(m, "live");
    }
    model.assertMatchesOnDisk(dir, "reopened");
  }

  @Test
  void unsyncedChangesAreLostAndNothingElse() throws IOException {
    ManifestModel model = new ManifestModel();
    Random r = new Random(2);
    Manifest m = Manifest.create(dir, attrs());
    for (int i = 0; i < 1000; i++) {
      model.randomChange(m, r, 300);
    }
    m.sync();
    ManifestModel synced = model.copy();
    for (int i = 0; i < 1000; i++) {
      model.randomChange(m, r, 300);
    }
    m.close(); // close does not sync, like a crash
    synced.assertMatchesOnDisk(dir, "after dropping unsynced changes");
  }

  @Test
  void createRefusesAnExistingManifestAndOpenNeedsOne() throws IOException {
    assertThrows(NoSuchFileException.class, () -> Manifest.open(dir));
    Manifest.create(dir, attrs()).close();
    assertThrows(FileAlreadyExistsException.class, () -> Manifest.create(dir, attrs()));
  }

  @Test
  void compactionWritesANewGenerationAndDeletesTheOldLog() throws IOException {
    ManifestModel model = new ManifestModel();
    Random r = new Random(3);
    try (Manifest m = Manifest.create(dir, attrs())) {
      for (int i = 0; i < 5000; i++) {
        model.randomChange(m, r, 2000);
      }
      m.sync();
      for (int i = 0; i < 50; i++) {
        model.randomChange(m, r, 2000); // unsynced: the new snapshot takes them along
      }
      m.compact();
      assertEquals(1, m.generation());
      assertEquals(ManifestLog.HEADER_LENGTH, m.logBytes());
      assertEquals(ManifestSnapshot.HEADER_LENGTH + 16L * model.map.size() + 4, m.snapshotBytes());
      assertFalse(Files.exists(ManifestLog.path(dir, 0)));
      assertTrue(Files.exists(ManifestLog.path(dir, 1)));
      model.randomChange(m, r, 2000);
      m.sync();
      model.assertMatches(m, "live");
    }
    model.assertMatchesOnDisk(dir, "reopened");
    assertEquals(List.of("manifest", "manifest.log.1"), names());
  }

  @Test
  void syncCompactsByItselfWhenTheLogOutgrowsTheMap() throws IOException {
    try (Manifest m = Manifest.create(dir, attrs())) {
      // 2.2 M puts over 1000 keys: ~37 MB of log for a 16 KB map.
      for (int round = 0; round < 22; round++) {
        for (int i = 0; i < 100_000; i++) {
          m.put(i % 1000, round * 100_000L + i);
        }
        m.sync();
      }
      assertTrue(m.generation() >= 1, "compacted");
      assertTrue(m.logBytes() < 32 << 20);
    }
    try (Manifest m = Manifest.open(dir)) {
      for (int k = 0; k < 1000; k++) {
        assertEquals(21 * 100_000L + 99_000 + k, m.get(k, -1));
      }
    }
  }

  @Test
  void largeSyncIsSplitIntoRecordsOfAtMostOneMebibyte() throws IOException {
    ManifestModel model = new ManifestModel();
    try (Manifest m = Manifest.create(dir, attrs())) {
      for (long k = 0; k < 200_000; k++) {
        m.put(k, ~k);
        model.map.put(k, ~k);
      }
      m.sync();
    }
    try (Manifest m = Manifest.open(dir)) {
      model.assertMatches(m, "reopened");
      long payload = 200_000L * ManifestLog.PUT_LENGTH;
      assertEquals(
          (payload + ManifestLog.MAX_PAYLOAD - 1) / ManifestLog.MAX_PAYLOAD,
          m.recovery().recordsReplayed());
      assertEquals(0, m.recovery().bytesDiscarded());
    }
  }

  @Test
  void removeAtLeastDropsTheTail() throws IOException {
    try (Manifest m = Manifest.create(dir, attrs())) {
      for (long k = 0; k < 100; k++) {
        m.put(k, k);
      }
      assertEquals(40, m.removeAtLeast(60));
      m.sync();
    }
    try (Manifest m = Manifest.open(dir)) {
      assertEquals(60, m.size());
      assertTrue(m.contains(59));
      assertFalse(m.contains(60));
    }
  }

  @Test
  void readOnlyOpenChangesNothingOnDisk() throws IOException {
    try (Manifest m = Manifest.create(dir, attrs(7))) {
      m.put(1, 10);
      m.sync();
      m.put(2, 20);
      m.sync();
    }
    Path log = ManifestLog.path(dir, 0);
    byte[] intact = Files.readAllBytes(log);
    byte[] torn = java.util.Arrays.copyOf(intact, intact.length - 3);
    Files.write(log, torn);
    Files.write(dir.resolve(ManifestFiles.TEMP_FILE), new byte[] {1, 2, 3});
    try (Manifest m = Manifest.openReadOnly(dir)) {
      assertEquals(10, m.get(1, -1));
      assertFalse(m.contains(2));
      assertEquals(7, m.attribute(0));
      assertThrows(IllegalStateException.class, () -> m.put(3, 3));
      assertThrows(IllegalStateException.class, m::sync);
    }
    assertArrayEquals(torn, Files.readAllBytes(log));
    assertTrue(Files.exists(dir.resolve(ManifestFiles.TEMP_FILE)));
  }

  @Test
  void recordWithValidChecksumButBadContentsIsCorruptionNotATornTail() throws IOException {
    try (Manifest m = Manifest.create(dir, attrs())) {
      m.put(1, 1);
      m.sync();
    }
    // Append a well-framed record holding an entry of unknown type 9.
    ByteBuffer rec = ByteBuffer.allocate(8 + 17).order(ByteOrder.LITTLE_ENDIAN);
    rec.putInt(17).putInt(0).put((byte) 9).putLong(1).putLong(2);
    CRC32C crc = new CRC32C();
    crc.update(rec.array(), 0, 4);
    crc.update(rec.array(), 8, 17);
    rec.putInt(4, (int) crc.getValue());
    Files.write(ManifestLog.path(dir, 0), rec.array(), StandardOpenOption.APPEND);
    CorruptStoreException e = assertThrows(CorruptStoreException.class, () -> Manifest.open(dir));
    assertTrue(e.getMessage().contains("valid checksum but invalid contents"), e.getMessage());
    assertTrue(e.getMessage().contains("unknown entry type 9"), e.getMessage());
  }

  @Test
  void damagedLogHeaderIsCorruptionAndAMissingLogIsRecreated() throws IOException {
    try (Manifest m = Manifest.create(dir, attrs())) {
      m.put(1, 1);
      m.compact(); // into the snapshot
      m.put(2, 2);
      m.sync(); // into log 1
    }
    Path log = ManifestLog.path(dir, 1);
    byte[] b = Files.readAllBytes(log);
    b[17] ^= 1;
    Files.write(log, b);
    assertThrows(CorruptStoreException.class, () -> Manifest.open(dir));
    Files.delete(log);
    try (Manifest m = Manifest.open(dir)) {
      assertEquals(1, m.get(1, -1));
      assertEquals(1, m.size());
    }
    assertTrue(Files.exists(log));
  }

  @Test
  void concurrentChangesAndSyncsAllArrive() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try (Manifest m = Manifest.create(dir, attrs())) {
      List<Future<?>> fs = new ArrayList<>();
      for (int t = 0; t < 8; t++) {
        int thread = t;
        fs.add(
            pool.submit(
                () -> {
                  for (int i = 0; i < 20_000; i++) {
                    m.put(thread * 1_000_000L + i, i);
                    if (i % 997 == 0) {
                      m.sync();
                    }
                  }
                  return null;
                }));
      }
      for (Future<?> f : fs) {
        f.get();
      }
      m.sync();
    } finally {
      pool.shutdown();
    }
    try (Manifest m = Manifest.open(dir)) {
      assertEquals(160_000, m.size());
      for (int t = 0; t < 8; t++) {
        assertEquals(19_999, m.get(t * 1_000_000L + 19_999, -1));
      }
    }
  }

  private List<String> names() throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }
}
