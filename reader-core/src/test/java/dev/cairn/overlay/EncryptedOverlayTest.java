package dev.cairn.overlay;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.cairn.crypto.KeyRing;
import dev.cairn.error.CorruptStoreException;
import dev.cairn.error.MissingKeyException;
import dev.cairn.error.UsageException;
import dev.cairn.error.WrongKeyException;
import dev.cairn.fixture.PlaintextRuns;
import dev.cairn.read.BlockCache;
import dev.cairn.read.ReadStats;
import dev.cairn.read.Snapshot;
import dev.cairn.read.SnapshotChain;
import dev.cairn.read.StreamReader;
import dev.cairn.write.Commit;
import dev.cairn.write.WriterOptions;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Properties;
import java.util.Random;
import java.util.stream.Stream;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Overlays on an encrypted base: what is written lies encrypted at rest (no plaintext in any file
 * of the overlay directory), reads back byte for byte under the base's key, is refused with the
 * wrong key or none (said as such, never as damage), and a changed byte in the spill file or the
 * manifest is detected, never returned. Commit reads an encrypted overlay like any other.
 */
class EncryptedOverlayTest {
  private static final int BASE_SIZE = 3 << 20;

  @TempDir Path tmp;

  private Path basePath;
  private Path dir;
  private OverlayModel model;
  private final List<byte[]> written = new ArrayList<>();

  /** An overlay on a base sealed with {@code keys} (none: plain) with writes of every shape. */
  private void writeOverlay(KeyRing keys) throws IOException {
    byte[] baseBytes = Bases.content(BASE_SIZE, 5);
    basePath = Bases.write(tmp.resolve("base.cairn"), baseBytes, 16, keys);
    dir = tmp.resolve("work");
    model = new OverlayModel(baseBytes);
    Random r = new Random(11);
    try (Snapshot base = Bases.open(basePath, keys);
        OverlayImage img = OverlayImage.create(dir, basePath, base)) {
      for (int i = 0; i < 60; i++) {
        byte[] d = data(r, 100 + r.nextInt(9000));
        write(img, r.nextInt(BASE_SIZE), d);
      }
      write(img, 1 << 20, data(r, 1 << 20)); // whole groups: the run path
      img.fsync();
      for (int i = 0; i < 200; i++) {
        write(img, 4096L * r.nextInt(64), data(r, 4096)); // overwrites, for compaction
      }
      img.fsync();
      assertTrue(img.compact());
      write(img, BASE_SIZE - 10, data(r, 20000)); // grows the image
      img.fsync();
    }
  }

  /** Text-like or random bytes. */
  private static byte[] data(Random r, int n) {
    byte[] b = new byte[n];
    if (r.nextBoolean()) {
      r.nextBytes(b);
    } else {
      String words = "the overlay keeps what the user wrote, sealed; ";
      for (int i = 0; i < n; i++) {
        b[i] = (byte) words.charAt((i * 7 + n) % words.length());
      }
    }
    return b;
  }

  private void write(OverlayImage img, long at, byte[] d) throws IOException {
    img.write(at, ByteBuffer.wrap(d));
    model.write(at, d);
    written.add(d);
  }

  private void checkAll(OverlayImage img) throws IOException {
    assertEquals(model.size, img.size());
    byte[] got = new byte[(int) img.size()];
    assertEquals(got.length, img.read(0, ByteBuffer.wrap(got)));
    assertArrayEquals(model.range(0, got.length), got);
  }

  @Test
  void nothingWrittenIsInTheOverlayDirectoryAndEveryByteReadsBackUnderTheKey() throws IOException {
    writeOverlay(Bases.KEYS);
    OverlayConfig config = OverlayConfig.read(dir);
    assertTrue(config.encrypted());
    assertEquals(OverlayConfig.VERSION_ENCRYPTED, config.version());
    assertNoPlaintextRun(dir, written);
    try (OverlayImage img = OverlayImage.open(dir, Bases.opener(Bases.KEYS))) {
      checkAll(img);
    }
    try (OverlayImage img = OverlayImage.openReadOnly(dir, Bases.opener(Bases.KEYS))) {
      checkAll(img);
    }
  }

  @Test
  void aPlainOverlayShowsWhatWasWrittenSoTheCheckCanFail() throws IOException {
    writeOverlay(KeyRing.NONE);
    assertFalse(OverlayConfig.read(dir).encrypted());
    assertEquals(OverlayConfig.VERSION, OverlayConfig.read(dir).version());
    assertFalse(
        Files.readString(dir.resolve(OverlayConfig.FILE_NAME)).contains("encryption"),
        "a plain overlay's config is as before");
    assertThrows(AssertionError.class, () -> assertNoPlaintextRun(dir, written));
  }

  @Test
  void noKeyOrAnotherKeyIsSaidAsSuchNeverAsDamage() throws IOException {
    writeOverlay(Bases.KEYS);
    MissingKeyException missing =
        assertThrows(
            MissingKeyException.class,
            () -> OverlayImage.open(dir, Bases.opener(KeyRing.NONE)).close());
    assertTrue(
        missing.getMessage().endsWith(" is encrypted: give --key-file or --passphrase-env"),
        missing.getMessage());
    WrongKeyException wrong =
        assertThrows(
            WrongKeyException.class,
            () -> OverlayImage.open(dir, Bases.opener(Bases.OTHER)).close());
    assertTrue(wrong.getMessage().endsWith(" (tried key file other.key)"), wrong.getMessage());
    // The overlay still opens with the right key: nothing was changed or locked by the attempts.
    OverlayImage.open(dir, Bases.opener(Bases.KEYS)).close();
  }

  @Test
  void anOverlayKeyCheckThatDoesNotMatchTheBaseKeyIsAWrongKeyNamingTheOverlay() throws IOException {
    writeOverlay(Bases.KEYS);
    // Another salt: the key the base opens with derives another overlay key and check.
    Properties p = config();
    byte[] salt = new byte[OverlayKey.LENGTH];
    new SecureRandom().nextBytes(salt);
    String hex = HexFormat.of().formatHex(salt);
    assertNotEquals(p.getProperty("encryption.salt"), hex);
    p.setProperty("encryption.salt", hex);
    storeConfig(p);
    WrongKeyException e =
        assertThrows(
            WrongKeyException.class,
            () -> OverlayImage.open(dir, Bases.opener(Bases.KEYS)).close());
    assertEquals(
        "wrong key for overlay "
            + dir.toAbsolutePath().normalize()
            + " (tried the key that opens its base "
            + basePath.toAbsolutePath().normalize()
            + ")",
        e.getMessage());
  }

  @Test
  void aPlainOverlayOnAnEncryptedBaseAndTheReverseAreRefusedInOneLine() throws IOException {
    writeOverlay(Bases.KEYS);
    Properties p = config();
    Properties plain = (Properties) p.clone();
    plain.setProperty("cairn.overlay.version", "1");
    plain.remove("encryption.cipher");
    plain.remove("encryption.salt");
    plain.remove("encryption.key-check");
    storeConfig(plain);
    Path abs = dir.toAbsolutePath().normalize();
    Path baseAbs = basePath.toAbsolutePath().normalize();
    UsageException e =
        assertThrows(
            UsageException.class, () -> OverlayImage.open(dir, Bases.opener(Bases.KEYS)).close());
    assertEquals(
        "overlay "
            + abs
            + " is not encrypted but its base "
            + baseAbs
            + " is; refusing to keep changes to an encrypted snapshot in the clear (start a new"
            + " overlay)",
        e.getMessage());
    storeConfig(p);
    OverlayImage.open(dir, Bases.opener(Bases.KEYS)).close();

    Path plainBase = Bases.write(tmp.resolve("plain.cairn"), Bases.content(8192, 1), 12);
    Path plainDir = tmp.resolve("plain-work");
    try (Snapshot base = Bases.open(plainBase)) {
      OverlayImage.create(plainDir, plainBase, base).close();
    }
    Properties q = new Properties();
    try (InputStream in = Files.newInputStream(plainDir.resolve(OverlayConfig.FILE_NAME))) {
      q.load(in);
    }
    q.setProperty("cairn.overlay.version", "2");
    q.setProperty("encryption.cipher", p.getProperty("encryption.cipher"));
    q.setProperty("encryption.salt", p.getProperty("encryption.salt"));
    q.setProperty("encryption.key-check", p.getProperty("encryption.key-check"));
    try (OutputStream out = Files.newOutputStream(plainDir.resolve(OverlayConfig.FILE_NAME))) {
      q.store(out, null);
    }
    UsageException r =
        assertThrows(
            UsageException.class, () -> OverlayImage.open(plainDir, Bases.opener()).close());
    assertEquals(
        "overlay "
            + plainDir.toAbsolutePath().normalize()
            + " is encrypted but its base "
            + plainBase.toAbsolutePath().normalize()
            + " is not; its overlay.properties does not belong to this base",
        r.getMessage());
  }

  @Test
  void aChangedByteInTheSpillFileOrTheManifestIsDetectedNeverReturned() throws IOException {
    writeOverlay(Bases.KEYS);
    Path spill = single(dir, "spill.");
    byte[] good = Files.readAllBytes(spill);
    ByteBuffer g = ByteBuffer.wrap(good).order(ByteOrder.LITTLE_ENDIAN);
    int tried = 0;
    for (int at = 32; at < good.length; at += g.getInt(at + 4)) {
      int len = g.getInt(at + 4);
      for (int pos : new int[] {at + 16, at + 40, at + len / 2, at + len - 1}) {
        for (boolean forge : new boolean[] {false, true}) {
          byte[] bad = good.clone();
          bad[pos] ^= 0x04;
          if (forge) {
            forgeCrc(bad, at, at + 8, 8, len - 12, at + 12);
          }
          Files.write(spill, bad);
          assertDetected(spill + ": record at " + at);
          tried++;
        }
      }
    }
    assertTrue(tried >= 16, "tried " + tried);
    Files.write(spill, good);

    Path log = single(dir, "manifest.log.");
    byte[] logBytes = Files.readAllBytes(log);
    int n = ByteBuffer.wrap(logBytes).order(ByteOrder.LITTLE_ENDIAN).getInt(32);
    byte[] bad = logBytes.clone();
    bad[32 + 8 + n / 2] ^= 0x04;
    forgeCrc(bad, 32, 36, 4, n, 40);
    Files.write(log, bad);
    CorruptStoreException e =
        assertThrows(
            CorruptStoreException.class,
            () -> OverlayImage.open(dir, Bases.opener(Bases.KEYS)).close());
    assertEquals(
        log
            + ": manifest log record at offset 32 has a valid checksum but does not authenticate"
            + " (AES-GCM): altered, moved or sealed under another key",
        e.getMessage());
    Files.write(log, logBytes);
    try (OverlayImage img = OverlayImage.open(dir, Bases.opener(Bases.KEYS))) {
      checkAll(img);
    }
  }

  /**
   * Opening or reading everything fails naming {@code prefix} (a CRC or tag mismatch); no read
   * returns bytes other than those written.
   */
  private void assertDetected(String prefix) throws IOException {
    try (OverlayImage img = OverlayImage.open(dir, Bases.opener(Bases.KEYS))) {
      byte[] got = new byte[(int) img.size()];
      img.read(0, ByteBuffer.wrap(got));
      fail("a damaged overlay read back without an error");
    } catch (CorruptStoreException x) {
      assertTrue(x.getMessage().startsWith(prefix), x.getMessage());
    }
  }

  @Test
  void commitReadsAnEncryptedOverlayIntoAnEncryptedChild() throws IOException {
    writeOverlay(Bases.KEYS);
    Path child = tmp.resolve("child.cairn");
    try (OverlayImage img = OverlayImage.openReadOnly(dir, Bases.opener(Bases.KEYS))) {
      WriterOptions o =
          WriterOptions.defaults().withSealing(Bases.KEYS.newSealing(new SecureRandom()));
      Commit.run(img, child, o, false, p -> {});
    }
    try (SnapshotChain c =
        SnapshotChain.open(
            child, List.of(), BlockCache.withCapacity(8 << 20), new ReadStats(), Bases.KEYS)) {
      assertEquals(2, c.members().size());
      StreamReader primary = c.top().stream(0);
      assertEquals(model.size, primary.size());
      ByteBuffer b = ByteBuffer.allocate((int) primary.size());
      primary.read(0, b);
      assertArrayEquals(model.range(0, (int) model.size), b.array());
    }
    assertNoPlaintextRun(tmp, written);
  }

  private Properties config() throws IOException {
    Properties p = new Properties();
    try (InputStream in = Files.newInputStream(dir.resolve(OverlayConfig.FILE_NAME))) {
      p.load(in);
    }
    return p;
  }

  private void storeConfig(Properties p) throws IOException {
    try (OutputStream out = Files.newOutputStream(dir.resolve(OverlayConfig.FILE_NAME))) {
      p.store(out, null);
    }
  }

  private static Path single(Path dir, String prefix) throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      List<Path> l = s.filter(p -> p.getFileName().toString().startsWith(prefix)).toList();
      assertEquals(1, l.size(), l.toString());
      return l.get(0);
    }
  }

  /** Sets the CRC32C at {@code crcAt} to that of [from, from+len1) then [from2, from2+len2). */
  private static void forgeCrc(byte[] f, int from, int crcAt, int len1, int len2, int from2) {
    CRC32C crc = new CRC32C();
    crc.update(f, from, len1);
    crc.update(f, from2, len2);
    ByteBuffer.wrap(f).order(ByteOrder.LITTLE_ENDIAN).putInt(crcAt, (int) crc.getValue());
  }

  /**
   * No 16-byte window of the inputs (with six or more distinct byte values) is in any file under
   * {@code root}.
   */
  static void assertNoPlaintextRun(Path root, List<byte[]> inputs) throws IOException {
    PlaintextRuns.of(inputs).assertAbsentUnder(root);
  }
}
