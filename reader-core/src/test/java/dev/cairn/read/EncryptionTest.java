package dev.cairn.read;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.cairn.crypto.KeyDerivation;
import dev.cairn.crypto.KeyRing;
import dev.cairn.crypto.KeySource;
import dev.cairn.error.CairnException;
import dev.cairn.error.CorruptSnapshotException;
import dev.cairn.error.MissingKeyException;
import dev.cairn.error.UnsupportedSnapshotException;
import dev.cairn.error.WrongKeyException;
import dev.cairn.fixture.PlaintextRuns;
import dev.cairn.format.BlockKind;
import dev.cairn.format.CodecType;
import dev.cairn.format.Header;
import dev.cairn.format.IndexPage;
import dev.cairn.format.Trailer;
import dev.cairn.testing.CrcForge;
import dev.cairn.testing.Fixture;
import dev.cairn.testing.MemoryByteSource;
import dev.cairn.testing.Snapshots;
import dev.cairn.write.Pack;
import dev.cairn.write.WriterOptions;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.List;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Encrypted snapshots (format 1.2) through the one writer and the one reader: byte-exact round
 * trips, no plaintext in the file, wrong and missing keys told apart from damage, and every kind of
 * tampering (data, index, footer, authenticated header fields, swapped blocks, blocks and pages
 * spliced from another snapshot under the same key, with their CRC32C forged to match) refused and
 * never returned as data.
 */
class EncryptionTest {
  static final SecureRandom RANDOM = new SecureRandom();
  static final KeyRing KEYS = keyRing("key file a.key", 1);
  static final KeyRing OTHER = keyRing("key file b.key", 2);

  @TempDir Path dir;

  static KeyRing keyRing(String label, int seed) {
    byte[] k = new byte[32];
    for (int i = 0; i < k.length; i++) {
      k[i] = (byte) (i * 7 + seed);
    }
    return KeyRing.of(List.of(new KeySource.KeyFile(label, k)));
  }

  static WriterOptions sealed(CodecType codec, KeyRing keys) throws CairnException {
    return Fixture.options(codec).withSealing(keys.newSealing(RANDOM));
  }

  static Snapshots.Written write(CodecType codec, KeyRing keys) throws CairnException {
    return Snapshots.write(
        sealed(codec, keys),
        List.of(Fixture.PRIMARY, Fixture.SECONDARY),
        Fixture.primary(),
        Fixture.secondary());
  }

  static Snapshot open(byte[] file, KeyRing keys) throws IOException {
    return Snapshot.open(
        new MemoryByteSource(file, "s.cairn"),
        BlockCache.withCapacity(16 << 20),
        new ReadStats(),
        keys);
  }

  /** Reads everything; returns the failure, or fails the test if wrong bytes come back. */
  static IOException readEverything(byte[] file, KeyRing keys) {
    try (Snapshot s = open(file, keys)) {
      byte[] p = Snapshots.readAll(s.stream(0));
      byte[] q = Snapshots.readAll(s.stream(1));
      assertArrayEquals(Fixture.primary(), p, "a tampered snapshot returned wrong bytes");
      assertArrayEquals(Fixture.secondary(), q, "a tampered snapshot returned wrong bytes");
      return null;
    } catch (IOException e) {
      return e;
    }
  }

  @ParameterizedTest
  @EnumSource(CodecType.class)
  void roundTripsEveryByteAndNoPlaintextRunIsInTheFile(CodecType codec) throws IOException {
    Snapshots.Written w = write(codec, KEYS);
    Header h = w.header();
    assertEquals(2, h.minorVersion());
    assertTrue(h.encryption().enabled());
    assertInstanceOf(KeyDerivation.RawKey.class, h.encryption().kdf());
    try (Snapshot s = open(w.file(), KEYS)) {
      assertArrayEquals(Fixture.primary(), Snapshots.readAll(s.stream(0)));
      assertArrayEquals(Fixture.secondary(), Snapshots.readAll(s.stream(1)));
      Snapshots.checkRandomReads(s.stream(0), Fixture.primary(), 200, 3);
      boolean sawRaw = false;
      for (long b = 0; b < s.stream(0).blockCount(); b++) {
        if (s.stream(0).entry(b).kind() == BlockKind.RAW) {
          sawRaw = true;
          assertEquals(Fixture.BLOCK + 16, s.stream(0).entry(b).storedLength(), "tag included");
        }
      }
      assertTrue(sawRaw, "random blocks are stored raw");
      Verifier.Report report = new Verifier(s).run(d -> {});
      assertTrue(report.ok(), report.problems().toString());
    }
    assertNoPlaintextRun(w.file(), Fixture.primary(), Fixture.secondary());
  }

  /** No 16-byte window of the inputs (with six or more distinct byte values) is in the file. */
  static void assertNoPlaintextRun(byte[] file, byte[]... inputs) {
    PlaintextRuns.of(inputs).assertAbsentFrom(file, "the snapshot");
  }

  @Test
  void aPlainSnapshotOfTheSameInputDoesShowItsPlaintext() {
    // The check above can fail: the same input packed without a key holds many plaintext runs.
    Snapshots.Written plain = Fixture.write(CodecType.NONE);
    assertThrows(
        AssertionError.class,
        () -> assertNoPlaintextRun(plain.file(), Fixture.primary(), Fixture.secondary()));
  }

  @Test
  void missingAndWrongKeysAreSaidAsSuchNeverAsDamage() throws IOException {
    byte[] file = write(CodecType.LZ4, KEYS).file();
    MissingKeyException missing =
        assertThrows(MissingKeyException.class, () -> open(file, KeyRing.NONE));
    assertEquals("s.cairn is encrypted: give --key-file or --passphrase-env", missing.getMessage());
    assertTrue(missing.isUsageError());
    WrongKeyException wrong = assertThrows(WrongKeyException.class, () -> open(file, OTHER));
    assertEquals("wrong key for s.cairn (tried key file b.key)", wrong.getMessage());
    assertTrue(wrong.isUsageError());
    KeyRing passphrase =
        KeyRing.of(List.of(new KeySource.Passphrase("passphrase from $P", "x".getBytes(UTF_8))));
    WrongKeyException kind = assertThrows(WrongKeyException.class, () -> open(file, passphrase));
    assertEquals(
        "wrong key for s.cairn (tried passphrase from $P; it was sealed with a key file)",
        kind.getMessage());
    // the right key among wrong ones is found, whatever its place
    KeyRing both = KeyRing.of(List.of(OTHER.sources().get(0), KEYS.sources().get(0)));
    try (Snapshot s = open(file, both)) {
      assertArrayEquals(Fixture.primary(), Snapshots.readAll(s.stream(0)));
    }
    // a plain snapshot opens whatever keys are given
    try (Snapshot s = open(Fixture.write(CodecType.LZ4).file(), OTHER)) {
      assertArrayEquals(Fixture.primary(), Snapshots.readAll(s.stream(0)));
    }
  }

  @Test
  void aPassphraseSealsThroughArgon2idWithTheCostsInTheHeader() throws IOException {
    KeyRing pass =
        KeyRing.of(
            List.of(
                new KeySource.Passphrase(
                    "passphrase from $P", "hunter2 but longer".getBytes(UTF_8))));
    Snapshots.Written w = write(CodecType.ZSTD, pass);
    KeyDerivation.Argon2id a =
        assertInstanceOf(KeyDerivation.Argon2id.class, w.header().encryption().kdf());
    assertEquals(16, a.memoryLog2KiB());
    assertEquals(3, a.iterations());
    assertEquals(1, a.parallelism());
    try (Snapshot s = open(w.file(), pass)) {
      assertArrayEquals(Fixture.primary(), Snapshots.readAll(s.stream(0)));
    }
    KeyRing typo =
        KeyRing.of(
            List.of(
                new KeySource.Passphrase(
                    "passphrase from $Q", "hunter2 but lunger".getBytes(UTF_8))));
    assertThrows(WrongKeyException.class, () -> open(w.file(), typo));
  }

  @Test
  void everyFlippedByteAfterTheHeaderIsRefusedNeverReturned() throws IOException {
    Snapshots.Written w = write(CodecType.LZ4, KEYS);
    byte[] file = w.file();
    int start = w.headerLength();
    int tested = 0;
    for (int at = start; at < file.length; at += (at < file.length - 600 ? 3 : 1)) {
      byte[] f = file.clone();
      f[at] ^= 0x20;
      IOException e = readEverything(f, KEYS);
      if (e == null) {
        fail("a flipped byte at " + at + " went unnoticed");
      }
      assertInstanceOf(CairnException.class, e, "at " + at + ": " + e);
      tested++;
    }
    assertTrue(tested > 1000, "tested " + tested);
  }

  @Test
  void authenticatedHeaderFieldsCannotBeChangedEvenWithTheirChecksumFixed() throws IOException {
    Snapshots.Written w = write(CodecType.LZ4, KEYS);
    // codec level (informational), creation time, entries-per-page-neutral fields and names
    int[][] edits = {{42, 5}, {32, 1}, {122, 'X'}, {39, 1}};
    for (int[] edit : edits) {
      byte[] f = w.file().clone();
      f[edit[0]] = (byte) edit[1];
      Snapshots.resealHeader(f);
      IOException e = readEverything(f, KEYS);
      if (e instanceof CorruptSnapshotException c) {
        assertEquals(
            "s.cairn: corrupt snapshot: header or footer does not authenticate (AES-GCM): altered after sealing",
            c.getMessage(),
            "byte " + edit[0]);
      } else {
        fail("header byte " + edit[0] + " changed: " + e);
      }
    }
    // The key check and the key derivation cannot be authenticated before a key is found: a
    // change there reads as a wrong key, never as data.
    byte[] f = w.file().clone();
    f[110] ^= 1;
    Snapshots.resealHeader(f);
    assertInstanceOf(WrongKeyException.class, readEverything(f, KEYS));
    f = w.file().clone();
    f[81] = 2; // key file -> Argon2id with zero costs
    Snapshots.resealHeader(f);
    assertInstanceOf(UnsupportedSnapshotException.class, readEverything(f, KEYS));
  }

  /** The sealed bytes of block {@code b} of stream 0 and where they are. */
  record Stored(int offset, int length) {}

  static Stored stored(Snapshots.Written w, long b) throws IOException {
    try (Snapshot s = open(w.file(), KEYS)) {
      var e = s.stream(0).entry(b);
      return new Stored((int) e.offset(), e.storedLength());
    }
  }

  /** Overwrites the last 4 bytes of {@code f[from, from+len)} so their CRC32C is {@code want}. */
  static void forgeCrc(byte[] f, int from, int len, int want) {
    CrcForge.forge(f, from, len, want);
    CRC32C c = new CRC32C();
    c.update(f, from, len);
    assertEquals(want, (int) c.getValue(), "CRC forged");
  }

  static int crc(byte[] f, int from, int len) {
    CRC32C c = new CRC32C();
    c.update(f, from, len);
    return (int) c.getValue();
  }

  @Test
  void swappedBlocksWithForgedChecksumsFailTheTag() throws IOException {
    Snapshots.Written w = write(CodecType.LZ4, KEYS);
    // blocks 1 and 5 are random: stored raw, the same sealed length
    Stored a = stored(w, 1);
    Stored b = stored(w, 5);
    assertEquals(a.length(), b.length());
    byte[] f = w.file().clone();
    int crcA = crc(f, a.offset(), a.length());
    System.arraycopy(w.file(), b.offset(), f, a.offset(), b.length());
    forgeCrc(f, a.offset(), a.length(), crcA);
    CorruptSnapshotException e =
        assertInstanceOf(CorruptSnapshotException.class, readEverything(f, KEYS));
    assertEquals(
        "s.cairn: corrupt snapshot, stream disk.img, block 1: stored bytes do not authenticate (AES-GCM): altered,"
            + " moved or from another snapshot",
        e.getMessage());
  }

  @Test
  void blocksAndPagesSplicedFromAnotherSnapshotUnderTheSameKeyAreRefused() throws IOException {
    Snapshots.Written one = write(CodecType.LZ4, KEYS);
    Snapshots.Written two = write(CodecType.LZ4, KEYS);
    assertEquals(one.file().length, two.file().length, "same input, same layout");
    Stored a = stored(one, 4);
    byte[] f = one.file().clone();
    int crcA = crc(f, a.offset(), a.length());
    System.arraycopy(two.file(), a.offset(), f, a.offset(), a.length());
    forgeCrc(f, a.offset(), a.length(), crcA);
    CorruptSnapshotException e =
        assertInstanceOf(CorruptSnapshotException.class, readEverything(f, KEYS));
    assertTrue(
        e.getMessage().contains("block 4: stored bytes do not authenticate"), e.getMessage());

    // A whole index page of the other snapshot carries a valid checksum of its own.
    int page = (int) one.pageOffset(0, 1);
    int len = IndexPage.encodedLength(one.pageEntries(0, 1), true);
    f = one.file().clone();
    System.arraycopy(two.file(), page, f, page, len);
    e = assertInstanceOf(CorruptSnapshotException.class, readEverything(f, KEYS));
    assertTrue(e.getMessage().contains("index page does not authenticate"), e.getMessage());
  }

  @Test
  void aFooterRedirectedToAnotherPageIsRefused() throws IOException {
    Snapshots.Written w = write(CodecType.LZ4, KEYS);
    byte[] f = w.file().clone();
    Trailer t = w.trailer();
    // stream 0's second page offset := its first page's offset (both pages are whole)
    int footer = (int) t.footerOffset();
    int pages = footer + 8 + 32;
    System.arraycopy(f, pages, f, pages + 8, 8);
    Snapshots.resealFooter(f);
    CorruptSnapshotException e =
        assertInstanceOf(CorruptSnapshotException.class, readEverything(f, KEYS));
    assertEquals(
        "s.cairn: corrupt snapshot: header or footer does not authenticate (AES-GCM): altered after sealing",
        e.getMessage());
  }

  @Test
  void chainsMixKeysAndPlainMembersAndStillStoreOnlyChangedBlocks() throws IOException {
    int bs = 4096;
    byte[] base = new byte[64 * bs];
    new java.util.Random(5).nextBytes(base);
    byte[] child = base.clone();
    child[10 * bs] ^= 1;
    byte[] grandchild = child.clone();
    grandchild[20 * bs] ^= 1;
    Path b = pack("base", base, null, KEYS);
    Path c = pack("child", child, b, OTHER); // its own key
    Path g = pack("grand", grandchild, c, null); // plain child of an encrypted parent
    KeyRing both = KeyRing.of(List.of(KEYS.sources().get(0), OTHER.sources().get(0)));
    try (SnapshotChain chain = open(g, both)) {
      assertArrayEquals(grandchild, readAll(chain.top().stream(0)));
      assertArrayEquals(child, readAll(chain.members().get(1).stream(0)));
      int stored = 0;
      for (Snapshot s : chain.members().subList(0, 2)) {
        for (long i = 0; i < s.stream(0).blockCount(); i++) {
          stored += s.stream(0).entry(i).kind().hasData() ? 1 : 0;
        }
      }
      assertEquals(2, stored, "one changed block in each of child and grandchild");
    }
    MissingKeyException missingAll =
        assertThrows(MissingKeyException.class, () -> open(g, KeyRing.NONE).close());
    assertEquals(b + " is encrypted: give --key-file or --passphrase-env", missingAll.getMessage());
    WrongKeyException onlyBase = assertThrows(WrongKeyException.class, () -> open(g, KEYS).close());
    assertTrue(onlyBase.getMessage().startsWith("wrong key for " + c), onlyBase.getMessage());
    WrongKeyException onlyChild =
        assertThrows(WrongKeyException.class, () -> open(g, OTHER).close());
    assertTrue(onlyChild.getMessage().startsWith("wrong key for " + b), onlyChild.getMessage());
  }

  private Path pack(String name, byte[] content, Path parent, KeyRing keys) throws IOException {
    Path in = dir.resolve(name + ".img");
    Files.write(in, content);
    Path out = dir.resolve(name + ".cairn");
    WriterOptions o = WriterOptions.defaults().withBlockSizeLog2(12).withEntriesPerPage(16);
    if (keys != null) {
      o = o.withSealing(keys.newSealing(RANDOM));
    }
    if (parent == null) {
      Pack.run(List.of(new Pack.Input(in, "disk.img")), out, o, x -> {});
      return out;
    }
    KeyRing all = KeyRing.of(List.of(KEYS.sources().get(0), OTHER.sources().get(0)));
    try (SnapshotChain p = open(parent, all)) {
      o = o.withParent(p.top().header(), dir.relativize(parent).toString());
      Pack.run(List.of(new Pack.Input(in, "disk.img")), out, o, null, p.top(), x -> {});
    }
    return out;
  }

  private static SnapshotChain open(Path p, KeyRing keys) throws IOException {
    return SnapshotChain.open(
        p, List.of(), BlockCache.withCapacity(1 << 20), new ReadStats(), keys);
  }

  private static byte[] readAll(StreamReader r) throws IOException {
    ByteBuffer b = ByteBuffer.allocate((int) r.size());
    assertEquals(r.size(), r.read(0, b));
    return b.array();
  }
}
