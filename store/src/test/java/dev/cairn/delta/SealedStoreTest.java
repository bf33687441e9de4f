package dev.cairn.delta;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cairn.error.CorruptStoreException;
import dev.cairn.fixture.PlaintextRuns;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A store sealed with AES-256-GCM: nothing written shows in its files, it reads back only under its
 * key, plain and sealed files are never mixed, and a changed or moved record (its CRC32C forged to
 * match, so that the tag is what catches it) is reported as corruption naming the file and the
 * offset, never returned as data. The crash behaviour is the plain store's: the crash and fuzz
 * tests of the delta package run sealed as well.
 */
class SealedStoreTest {
  private static final int CHUNK = 1024;
  private static final int CHUNKS = 96;

  @TempDir Path dir;

  private ChunkCompressor compressor = DeflateCompressor.INSTANCE;

  /** Chunk {@code c}'s contents: random, text-like or sparse by {@link Chunks#make}. */
  private static byte[] chunk(long c) {
    return Chunks.make(CHUNK, c + 1000);
  }

  /**
   * Writes every chunk (single writes, a run of whole groups, rewrites), fsyncs, compacts, writes
   * more and closes; returns the store's contents as written.
   */
  private Map<Long, byte[]> fill(RecordCipher cipher) throws IOException {
    Map<Long, byte[]> model = new LinkedHashMap<>();
    try (DeltaStore s = DeltaStore.create(dir, CHUNK, 8, CHUNKS * CHUNK, compressor, cipher)) {
      for (long c = 0; c < CHUNKS / 2; c++) {
        s.write(c, ByteBuffer.wrap(chunk(c)));
        model.put(c, chunk(c));
      }
      ByteBuffer run = ByteBuffer.allocate(CHUNKS / 2 * CHUNK);
      for (long c = CHUNKS / 2; c < CHUNKS; c++) {
        run.put(chunk(c));
        model.put(c, chunk(c));
      }
      s.writeRun(CHUNKS / 2, run.flip());
      s.fsync();
      assertTrue(s.compact());
      for (long c = 0; c < CHUNKS; c += 7) {
        s.write(c, ByteBuffer.wrap(chunk(c + CHUNKS)));
        model.put(c, chunk(c + CHUNKS));
      }
      s.fsync();
    }
    return model;
  }

  private DeltaStore open(RecordCipher cipher) throws IOException {
    return DeltaStore.open(dir, compressor, cipher);
  }

  private static void checkAll(DeltaStore s, Map<Long, byte[]> model) throws IOException {
    for (Map.Entry<Long, byte[]> e : model.entrySet()) {
      ByteBuffer b = ByteBuffer.allocate(CHUNK);
      assertTrue(s.read(e.getKey(), 0, b), "chunk " + e.getKey());
      assertArrayEquals(e.getValue(), b.array(), "chunk " + e.getKey());
    }
  }

  @ParameterizedTest
  @ValueSource(booleans = {false, true})
  void noPlaintextRunInAnyFileAndEveryByteReadsBackUnderTheKey(boolean compress)
      throws IOException {
    compressor = compress ? DeflateCompressor.INSTANCE : ChunkCompressor.NONE;
    Map<Long, byte[]> model = fill(Ciphers.of(true));
    assertNoPlaintextRun(dir, model.values());
    try (DeltaStore s = open(Ciphers.of(true))) {
      checkAll(s, model);
    }
  }

  @Test
  void thePlaintextCheckCanFail() throws IOException {
    compressor = ChunkCompressor.NONE;
    Map<Long, byte[]> model = fill(RecordCipher.NONE);
    assertThrows(AssertionError.class, () -> assertNoPlaintextRun(dir, model.values()));
  }

  @Test
  void anotherKeyOrNoKeyOpensNothingAndPlainFilesAreRefused() throws IOException {
    fill(Ciphers.of(true));
    CorruptStoreException other =
        assertThrows(CorruptStoreException.class, () -> open(RecordCipher.aesGcm(Ciphers.key(2))));
    assertEquals(
        dir.resolve("manifest")
            + ": manifest snapshot: segment 0 does not authenticate (AES-GCM): altered, moved or"
            + " sealed under another key",
        other.getMessage());
    CorruptStoreException none =
        assertThrows(CorruptStoreException.class, () -> open(RecordCipher.NONE));
    assertEquals(
        dir.resolve("manifest")
            + ": manifest snapshot: encrypted, but the store was opened without a key",
        none.getMessage());
    Path spill = dir.resolve("spill.1");
    CorruptStoreException spillNone =
        assertThrows(
            CorruptStoreException.class,
            () -> DeltaAllocator.open(spill, DeflateCompressor.INSTANCE, 0, true).close());
    assertEquals(
        spill + ": spill file is encrypted, but the store was opened without a key",
        spillNone.getMessage());

    Path plainDir = Files.createDirectory(dir.resolve("plain"));
    DeltaStore.create(plainDir, CHUNK, 8, CHUNK, DeflateCompressor.INSTANCE).close();
    CorruptStoreException plain =
        assertThrows(
            CorruptStoreException.class,
            () -> DeltaStore.open(plainDir, DeflateCompressor.INSTANCE, Ciphers.of(true)));
    assertEquals(
        plainDir.resolve("manifest")
            + ": manifest snapshot: not encrypted, but the store is (refusing plain records)",
        plain.getMessage());
  }

  @Test
  void aChangedSpillRecordIsCorruptionNamingFileAndOffsetNeverData() throws IOException {
    Map<Long, byte[]> model = fill(Ciphers.of(true));
    Path spill = dir.resolve("spill.1");
    byte[] good = Files.readAllBytes(spill);
    List<long[]> records = records(spill);
    int tried = 0;
    for (long[] r : records) {
      int at = (int) r[0];
      int len = (int) r[1];
      // every byte after the CRC: count, encoding, nonce, ids, payload, tag
      for (int pos = at + 12; pos < at + len; pos += 1 + len / 40) {
        byte[] bad = good.clone();
        bad[pos] ^= 0x20;
        forgeRecordCrc(bad, at, len);
        Files.write(spill, bad);
        try (DeltaStore s = open(Ciphers.of(true))) {
          checkFails(s, model, spill + ": record at " + at);
        } catch (CorruptStoreException e) {
          // The head's count or encoding no longer fits the length: refused before the tag.
          assertTrue(e.getMessage().startsWith(spill + ": record at " + at), e.getMessage());
        }
        tried++;
      }
    }
    assertTrue(tried > 100, "tried " + tried);
    Files.write(spill, good);
    try (DeltaStore s = open(Ciphers.of(true))) {
      checkAll(s, model);
    }
  }

  @Test
  void twoSpillRecordsSwappedDoNotOpen() throws IOException {
    // Random chunks: two raw records of one length, each chunk in its own slot 0.
    Map<Long, byte[]> model = new LinkedHashMap<>();
    try (DeltaStore s =
        DeltaStore.create(dir, CHUNK, 1, 2 * CHUNK, DeflateCompressor.INSTANCE, Ciphers.of(true))) {
      for (long c = 0; c < 2; c++) {
        byte[] data = Chunks.make(CHUNK, 3 * c);
        s.write(c, ByteBuffer.wrap(data));
        model.put(c, data);
      }
    }
    Path spill = dir.resolve("spill.0");
    byte[] good = Files.readAllBytes(spill);
    List<long[]> records = records(spill);
    assertEquals(2, records.size());
    long[] a = records.get(0);
    long[] b = records.get(1);
    assertEquals(a[1], b[1], "two records of one length");
    byte[] swapped = good.clone();
    int len = (int) a[1];
    System.arraycopy(good, (int) a[0], swapped, (int) b[0], len);
    System.arraycopy(good, (int) b[0], swapped, (int) a[0], len);
    Files.write(spill, swapped);
    // Each CRC32C still matches, and each record's head still names a slot of the right chunk
    // count; only the associated data (the offset) tells them apart.
    try (DeltaStore s = open(Ciphers.of(true))) {
      for (long c = 0; c < 2; c++) {
        long chunk = c;
        CorruptStoreException e =
            assertThrows(
                CorruptStoreException.class, () -> s.read(chunk, 0, ByteBuffer.allocate(CHUNK)));
        assertEquals(
            spill
                + ": record at "
                + records.get((int) c)[0]
                + " does not authenticate (AES-GCM): altered, moved or sealed under another key",
            e.getMessage());
      }
    }
  }

  @Test
  void aChangedManifestLogRecordOrSnapshotSegmentIsCorruption() throws IOException {
    fill(Ciphers.of(true));
    Path log = dir.resolve("manifest.log.1");
    byte[] good = Files.readAllBytes(log);
    ByteBuffer g = ByteBuffer.wrap(good).order(ByteOrder.LITTLE_ENDIAN);
    int n = g.getInt(ManifestLog.HEADER_LENGTH);
    for (int k = 0; k < n; k += 3) {
      byte[] bad = good.clone();
      bad[ManifestLog.HEADER_LENGTH + ManifestLog.FRAME + k] ^= 1;
      ByteBuffer w = ByteBuffer.wrap(bad).order(ByteOrder.LITTLE_ENDIAN);
      CRC32C crc = new CRC32C();
      crc.update(bad, ManifestLog.HEADER_LENGTH, 4);
      crc.update(bad, ManifestLog.HEADER_LENGTH + ManifestLog.FRAME, n);
      w.putInt(ManifestLog.HEADER_LENGTH + 4, (int) crc.getValue());
      Files.write(log, bad);
      CorruptStoreException e =
          assertThrows(CorruptStoreException.class, () -> open(Ciphers.of(true)), "byte " + k);
      assertEquals(
          log
              + ": manifest log record at offset 32 has a valid checksum but does not authenticate"
              + " (AES-GCM): altered, moved or sealed under another key",
          e.getMessage());
    }
    Files.write(log, good);

    Path snapshot = dir.resolve("manifest");
    byte[] snap = Files.readAllBytes(snapshot);
    for (int pos = 32; pos < snap.length - 4; pos += 5) {
      byte[] bad = snap.clone();
      bad[pos] ^= 1;
      CRC32C crc = new CRC32C();
      crc.update(bad, 0, bad.length - 4);
      ByteBuffer.wrap(bad)
          .order(ByteOrder.LITTLE_ENDIAN)
          .putInt(bad.length - 4, (int) crc.getValue());
      Files.write(snapshot, bad);
      CorruptStoreException e =
          assertThrows(CorruptStoreException.class, () -> open(Ciphers.of(true)), "byte " + pos);
      assertTrue(e.getMessage().contains("segment 0 does not authenticate"), e.getMessage());
    }
  }

  /** Reading every chunk fails at the damaged record (naming it); no chunk reads back wrong. */
  private static void checkFails(DeltaStore s, Map<Long, byte[]> model, String prefix)
      throws IOException {
    boolean failed = false;
    for (Map.Entry<Long, byte[]> e : model.entrySet()) {
      ByteBuffer b = ByteBuffer.allocate(CHUNK);
      try {
        if (s.read(e.getKey(), 0, b)) {
          assertArrayEquals(e.getValue(), b.array(), "a damaged store returned wrong bytes");
        }
      } catch (CorruptStoreException x) {
        assertTrue(x.getMessage().startsWith(prefix), x.getMessage());
        failed = true;
      }
    }
    assertTrue(failed, "the damage was noticed");
  }

  /** Offset and length of every record of a spill file. */
  private static List<long[]> records(Path spill) throws IOException {
    byte[] f = Files.readAllBytes(spill);
    ByteBuffer b = ByteBuffer.wrap(f).order(ByteOrder.LITTLE_ENDIAN);
    List<long[]> out = new ArrayList<>();
    for (int at = DeltaAllocator.HEADER_LENGTH; at < f.length; at += b.getInt(at + 4)) {
      out.add(new long[] {at, b.getInt(at + 4)});
    }
    return out;
  }

  private static void forgeRecordCrc(byte[] f, int at, int len) {
    CRC32C crc = new CRC32C();
    crc.update(f, at, 8);
    crc.update(f, at + 12, len - 12);
    ByteBuffer.wrap(f).order(ByteOrder.LITTLE_ENDIAN).putInt(at + 8, (int) crc.getValue());
  }

  /** No 16-byte window of the inputs (with six or more distinct byte values) in any file. */
  static void assertNoPlaintextRun(Path dir, Iterable<byte[]> inputs) throws IOException {
    PlaintextRuns.of(inputs).assertAbsentUnder(dir);
  }
}
