package dev.cairn.delta;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.cairn.error.CorruptStoreException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Crash tests of the manifest: the last log record torn at every byte and garbled at every byte,
 * and compaction stopped between every two of its steps. Every case must reopen without an
 * exception into exactly the state before the damaged record (or before the compaction, or after
 * it). Plain and sealed (AES-256-GCM) alike.
 */
@ParameterizedClass(name = "sealed={0}")
@ValueSource(booleans = {false, true})
class ManifestCrashTest {
  @Parameter boolean sealed;

  @TempDir Path tmp;

  private Path source;
  private byte[] snapshot;
  private byte[] log;
  private int lastRecordStart;
  private ManifestModel before;
  private ManifestModel after;

  /** Three synced records, then a last one with puts, a remove and an attribute. */
  @BeforeEach
  void writeLog() throws IOException {
    source = Files.createDirectory(tmp.resolve("source"));
    ManifestModel model = new ManifestModel();
    Random r = new Random(42);
    try (Manifest m = Manifest.create(source, new long[Manifest.ATTRIBUTES], Ciphers.of(sealed))) {
      for (int rec = 0; rec < 3; rec++) {
        for (int i = 0; i < 5; i++) {
          model.randomChange(m, r, 50);
        }
        m.sync();
      }
      before = model.copy();
      lastRecordStart = (int) m.logBytes();
      m.put(7, 70);
      m.put(8, 80);
      m.remove(3);
      m.setAttribute(2, 99);
      model.map.put(7L, 70L);
      model.map.put(8L, 80L);
      model.map.remove(3L);
      model.attributes[2] = 99;
      m.sync();
      after = model.copy();
    }
    snapshot = Files.readAllBytes(source.resolve(Manifest.SNAPSHOT_FILE));
    log = Files.readAllBytes(ManifestLog.path(source, 0));
  }

  private Path dirWithLog(String name, byte[] logBytes) throws IOException {
    Path d = Files.createDirectory(tmp.resolve(name));
    Files.write(d.resolve(Manifest.SNAPSHOT_FILE), snapshot);
    Files.write(ManifestLog.path(d, 0), logBytes);
    return d;
  }

  @Test
  void lastRecordTruncatedAtEveryByte() throws IOException {
    for (int cut = lastRecordStart; cut < log.length; cut++) {
      Path d = dirWithLog("cut" + cut, Arrays.copyOf(log, cut));
      try (Manifest m = Manifest.open(d, Ciphers.of(sealed))) {
        before.assertMatches(m, "cut at " + cut);
        assertEquals(cut - lastRecordStart, m.recovery().bytesDiscarded());
        assertEquals(3, m.recovery().recordsReplayed());
      }
      assertEquals(lastRecordStart, Files.size(ManifestLog.path(d, 0)), "torn tail truncated");
      // The log is usable again: a new record after the cut is found on the next open.
      try (Manifest m = Manifest.open(d, Ciphers.of(sealed))) {
        m.put(1000, 1);
        m.sync();
      }
      try (Manifest m = Manifest.open(d, Ciphers.of(sealed))) {
        assertEquals(1, m.get(1000, -1), "record appended after a repaired tail");
      }
    }
    after.assertMatchesOnDisk(dirWithLog("whole", log), Ciphers.of(sealed), "intact");
  }

  @ParameterizedTest
  @ValueSource(ints = {0x01, 0x80, 0xFF})
  void lastRecordGarbledAtEveryByte(int xor) throws IOException {
    for (int pos = lastRecordStart; pos < log.length; pos++) {
      byte[] b = log.clone();
      b[pos] ^= (byte) xor;
      Path d = dirWithLog("garble" + xor + "-" + pos, b);
      try (Manifest m = Manifest.open(d, Ciphers.of(sealed))) {
        before.assertMatches(m, "garbled byte " + pos);
      }
      assertEquals(lastRecordStart, Files.size(ManifestLog.path(d, 0)));
    }
  }

  @Test
  void zerosOrGarbageAfterTheLastRecordAreDropped() throws IOException {
    byte[] zeros = Arrays.copyOf(log, log.length + 4096);
    try (Manifest m = Manifest.open(dirWithLog("zeros", zeros), Ciphers.of(sealed))) {
      after.assertMatches(m, "zero tail");
      assertEquals(4096, m.recovery().bytesDiscarded());
    }
    byte[] garbage = Arrays.copyOf(log, log.length + 1000);
    for (int i = log.length; i < garbage.length; i++) {
      garbage[i] = (byte) (i * 31 + 7);
    }
    try (Manifest m = Manifest.open(dirWithLog("garbage", garbage), Ciphers.of(sealed))) {
      after.assertMatches(m, "garbage tail");
    }
  }

  @Test
  void snapshotDamagedAtAnyByteIsReportedNeverAccepted() throws IOException {
    // A snapshot with entries, so the garbled byte can land in every field.
    Path d = Files.createDirectory(tmp.resolve("snap"));
    try (Manifest m = Manifest.create(d, new long[Manifest.ATTRIBUTES], Ciphers.of(sealed))) {
      m.put(1, 2);
      m.put(3, 4);
      m.setAttribute(5, 6);
      m.compact();
    }
    Path file = d.resolve(Manifest.SNAPSHOT_FILE);
    byte[] good = Files.readAllBytes(file);
    for (int pos = 0; pos < good.length; pos++) {
      byte[] b = good.clone();
      b[pos] ^= 0x10;
      Files.write(file, b);
      assertThrows(
          CorruptStoreException.class,
          () -> Manifest.open(d, Ciphers.of(sealed)).close(),
          "byte " + pos);
    }
    for (int len = 0; len < good.length; len++) {
      Files.write(file, Arrays.copyOf(good, len));
      assertThrows(
          CorruptStoreException.class,
          () -> Manifest.open(d, Ciphers.of(sealed)).close(),
          "length " + len);
    }
    Files.write(file, good);
    try (Manifest m = Manifest.open(d, Ciphers.of(sealed))) {
      assertEquals(4, m.get(3, -1));
    }
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "manifest.temp-written",
        "manifest.log-created",
        "manifest.renamed",
        "manifest.old-log-deleted"
      })
  void compactionStoppedAtEveryStepReopensConsistently(String point) throws IOException {
    Path d = Files.createDirectory(tmp.resolve("compact"));
    ManifestModel model = new ManifestModel();
    Random r = new Random(9);
    Manifest m = Manifest.create(d, new long[Manifest.ATTRIBUTES], Ciphers.of(sealed));
    for (int i = 0; i < 3000; i++) {
      model.randomChange(m, r, 1000);
    }
    m.sync();
    ManifestModel synced = model.copy();
    for (int i = 0; i < 100; i++) {
      model.randomChange(m, r, 1000); // only the compaction makes these durable
    }
    m.failpoint(SimulatedCrash.at(point));
    assertThrows(SimulatedCrash.class, m::compact);
    // The crashed object is dropped as it is; nothing is closed or cleaned up.
    boolean committed =
        point.equals("manifest.renamed") || point.equals("manifest.old-log-deleted");
    ManifestModel expected = committed ? model : synced;
    try (Manifest again = Manifest.open(d, Ciphers.of(sealed))) {
      expected.assertMatches(again, "after a crash at " + point);
      assertEquals(committed ? 1 : 0, again.generation());
      // And it carries on: more changes, another compaction, another reopen.
      again.put(5000, 5);
      again.compact();
      again.put(5001, 6);
      again.sync();
    }
    assertEquals(
        List.of("manifest", "manifest.log." + (committed ? 2 : 1)), names(d), "no leftovers");
    try (Manifest again = Manifest.open(d, Ciphers.of(sealed))) {
      assertEquals(5, again.get(5000, -1));
      assertEquals(6, again.get(5001, -1));
    }
  }

  @Test
  void leftoverTempFileAndBothGenerationsOfLogsAreResolvedByTheSnapshot() throws IOException {
    Path d = dirWithLog("leftovers", log);
    // A stale temp snapshot and a log of the next generation, as a crash between steps 2 and 3
    // leaves them: the snapshot still names generation 0, so they are ignored and deleted.
    Files.write(d.resolve(ManifestFiles.TEMP_FILE), snapshot);
    Files.write(ManifestLog.path(d, 1), new byte[100]);
    try (Manifest m = Manifest.open(d, Ciphers.of(sealed))) {
      after.assertMatches(m, "leftovers");
    }
    assertEquals(List.of("manifest", "manifest.log.0"), names(d));
    assertArrayEquals(log, Files.readAllBytes(ManifestLog.path(d, 0)));
  }

  private static List<String> names(Path d) throws IOException {
    try (Stream<Path> s = Files.list(d)) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }
}
