package dev.cairn.read;

import static dev.cairn.testing.Snapshots.putIntLe;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cairn.error.CairnException;
import dev.cairn.error.CorruptSnapshotException;
import dev.cairn.error.UnsupportedSnapshotException;
import dev.cairn.format.CodecType;
import dev.cairn.format.Footer;
import dev.cairn.format.HashAlgorithm;
import dev.cairn.format.Header;
import dev.cairn.format.IndexPage;
import dev.cairn.format.SnapshotId;
import dev.cairn.format.Trailer;
import dev.cairn.testing.Fixture;
import dev.cairn.testing.MemoryByteSource;
import dev.cairn.testing.Resealer;
import dev.cairn.testing.Snapshots;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Hostile headers: a real snapshot with one header field patched and every checksum resealed
 * ({@link Resealer}), so that only that field is wrong. Each is refused at open with an {@link
 * UnsupportedSnapshotException} (a usage error, exit 2) whose message names the field and its
 * value; nothing the header asks for and this cairn does not implement is silently ignored.
 */
class CraftedHeaderTest {
  static final String NAME = "/crafted/snap.cairn";
  static final byte[] PRIMARY = Fixture.primary();
  static final byte[] SECONDARY = Fixture.secondary();

  /** Streams "disk.img" (name at 122..129) and "notes.txt"; hint empty (length at 141). */
  static final Snapshots.Written LZ4 = Fixture.write(CodecType.LZ4);

  /**
   * Streams "disk.img" and "disk.imx" (second name at 132..139) and a 32-byte parent path hint of
   * 'h' (length at 140, bytes 142..173) with no parent: room to rewrite names and hint in place.
   */
  static final Snapshots.Written PADDED =
      Snapshots.write(
          Fixture.options(CodecType.LZ4).withParent(SnapshotId.NONE, "h".repeat(32)),
          List.of("disk.img", "disk.imx"),
          PRIMARY,
          SECONDARY);

  static Stream<Arguments> fieldLies() {
    return Stream.of(
        lie(
            "codec 3",
            e -> e[41] = 3,
            "unsupported snapshot: codec id 3 (this cairn knows 0 none, 1 lz4, 2 zstd)"),
        lie(
            "block size 2^11",
            e -> e[40] = 11,
            "unsupported snapshot: block size 2^11 (this cairn reads 2^12 to 2^20, 4 KiB to 1 MiB)"),
        lie(
            "block size 2^21",
            e -> e[40] = 21,
            "unsupported snapshot: block size 2^21 (this cairn reads 2^12 to 2^20, 4 KiB to 1 MiB)"),
        lie(
            "hash algorithm 0",
            e -> e[43] = 0,
            "unsupported snapshot: unknown content hash algorithm 0 (written by a newer cairn?)"),
        lie(
            "hash algorithm 3",
            e -> e[43] = 3,
            "unsupported snapshot: unknown content hash algorithm 3 (written by a newer cairn?)"),
        lie(
            "XXH3-128 in a 1.0 header",
            e -> e[10] = 0,
            "invalid snapshot: content hash algorithm 2 (xxh3-128) needs format 1.1, the header"
                + " says 1.0"),
        lie(
            "0 entries per page",
            e -> putIntLe(e, 44, 0),
            "unsupported snapshot: 0 index entries per page (this cairn reads 1 to 65536)"),
        lie(
            "65537 entries per page",
            e -> putIntLe(e, 44, 65537),
            "unsupported snapshot: 65537 index entries per page (this cairn reads 1 to 65536)"),
        lie(
            "unknown flag bit 3",
            e -> putIntLe(e, 48, 8),
            "unsupported snapshot: unknown header flags 0x8 (written by a newer cairn?)"),
        lie(
            "unknown flag bit 31",
            e -> putIntLe(e, 48, 0x80000000),
            "unsupported snapshot: unknown header flags 0x80000000 (written by a newer cairn?)"),
        lie(
            "dictionary flag without a length",
            e -> putIntLe(e, 48, 4),
            "invalid snapshot: the dictionary flag is set but the dictionary length is 0"),
        lie(
            "dictionary length without the flag",
            e -> putIntLe(e, 52, 100),
            "invalid snapshot: the dictionary flag is clear but the dictionary length is 100"),
        lie(
            "dictionary over 4 MiB",
            e -> {
              putIntLe(e, 48, 4);
              putIntLe(e, 52, (4 << 20) + 1);
            },
            "unsupported snapshot: dictionary length 4194305 (at most 4 MiB)"),
        lie(
            "dictionary with lz4",
            e -> {
              putIntLe(e, 48, 4);
              putIntLe(e, 52, 100);
            },
            "invalid snapshot: a compression dictionary with codec lz4 (only zstd uses one)"),
        lie(
            "0 streams",
            e -> e[60] = 0,
            "unsupported snapshot: stream count 0 (this cairn reads 1 or 2)"),
        lie(
            "3 streams",
            e -> e[60] = 3,
            "unsupported snapshot: stream count 3 (this cairn reads 1 or 2)"),
        lie(
            "reserved byte 61",
            e -> e[61] = 1,
            "unsupported snapshot: reserved header bytes 61-63 are not zero (written by a newer"
                + " cairn?)"),
        lie(
            "reserved byte 63",
            e -> e[63] = (byte) 0x80,
            "unsupported snapshot: reserved header bytes 61-63 are not zero (written by a newer"
                + " cairn?)"),
        lie(
            "zero snapshot id",
            e -> Arrays.fill(e, 16, 32, (byte) 0),
            "invalid snapshot: the snapshot id is zero"),
        lie(
            "parent flag without a parent id",
            e -> putIntLe(e, 48, 1),
            "invalid snapshot: the parent flag is set but the parent id is zero"),
        lie(
            "parent id without the parent flag",
            e -> e[70] = 1,
            "invalid snapshot: parent id 00000000000001000000000000000000 is set but the parent"
                + " flag is not"),
        lie(
            "cipher 2",
            e -> {
              putIntLe(e, 48, 2);
              e[80] = 2;
            },
            "unsupported snapshot: unknown cipher 2 (written by a newer cairn?)"),
        lie(
            "key derivation 3",
            e -> e[81] = 3,
            "unsupported snapshot: unknown key derivation 3 (written by a newer cairn?)"),
        lie(
            "reserved byte 83 of a 1.1 header",
            e -> {
              e[10] = 1;
              e[83] = 1;
            },
            "unsupported snapshot: reserved header bytes 82-83 are not zero (written by a newer"
                + " cairn?)"),
        lie("Argon2id lanes on a plain snapshot", e -> e[83] = 1, NOT_ENCRYPTED),
        lie(
            "Argon2id memory 2^30 KiB",
            CraftedHeaderTest::encrypt12,
            e -> e[82] = 30,
            "unsupported snapshot: Argon2id memory 2^30 KiB (this cairn accepts 8 MiB to 1 GiB)"),
        lie(
            "Argon2id with no passes",
            CraftedHeaderTest::encrypt12,
            e -> putIntLe(e, 84, 0),
            "unsupported snapshot: Argon2id iterations 0 (1 to 32)"),
        lie(
            "Argon2id with 17 lanes",
            CraftedHeaderTest::encrypt12,
            e -> e[83] = 17,
            "unsupported snapshot: Argon2id parallelism 17 (1 to 16)"),
        lie(
            "key file with a salt",
            CraftedHeaderTest::encrypt12,
            e -> {
              e[81] = 1;
              e[82] = 0;
              e[83] = 0;
              putIntLe(e, 84, 0);
            },
            "invalid snapshot: key derivation 1 (key file) with passphrase parameters"),
        lie(
            "encrypted without a key derivation",
            CraftedHeaderTest::encrypt12,
            e -> e[81] = 0,
            "invalid snapshot: encrypted, but key derivation 0 (none)"),
        lie(
            "encrypted flag without a cipher",
            e -> putIntLe(e, 48, 2),
            "invalid snapshot: the encrypted flag is set but the cipher is 0 (none)"),
        lie(
            "cipher without the encrypted flag",
            e -> e[80] = 1,
            "invalid snapshot: cipher 1 (AES-256-GCM) but the encrypted flag is not set"),
        lie(
            "encrypted with AES-256-GCM, Argon2id, in a 1.1 header",
            CraftedHeaderTest::encrypt,
            "invalid snapshot: encryption needs format 1.2, the header says 1.1"),
        lie(
            "encrypted with AES-256-GCM, key file",
            e -> {
              e[10] = 1;
              putIntLe(e, 48, 2);
              e[80] = 1;
              e[81] = 1;
            },
            "invalid snapshot: encryption needs format 1.2, the header says 1.1"),
        lie("key derivation on a plain snapshot", e -> e[81] = 2, NOT_ENCRYPTED),
        lie("KDF iterations on a plain snapshot", e -> putIntLe(e, 84, 1000), NOT_ENCRYPTED),
        lie("KDF salt on a plain snapshot", e -> e[95] = 1, NOT_ENCRYPTED),
        lie("key check on a plain snapshot", e -> e[119] = 1, NOT_ENCRYPTED),
        lie(
            "stream name longer than 255 bytes",
            e -> e[120] = (byte) 0x2c, // 300 = 0x012c
            e -> e[121] = 1,
            "invalid snapshot: stream name 0 is 300 bytes long (at most 255)"),
        lie(
            "stream name running past the header",
            e -> e[120] = (byte) 200,
            "invalid snapshot: stream name 0 is 200 bytes long, which runs past the header"),
        lie(
            "parent path hint running past the header",
            e -> e[141] = 5,
            "invalid snapshot: parent path hint is 5 bytes long, which runs past the header"),
        lie(
            "one malformed UTF-8 name",
            e -> e[129] = (byte) 0xC3, // "disk.im" then a lead byte followed by the next length
            "invalid snapshot: stream name 0 is not valid UTF-8"));
  }

  static final String NOT_ENCRYPTED =
      "invalid snapshot: key derivation fields (bytes 81-119) are set but the snapshot is not"
          + " encrypted";

  static Arguments lie(String what, Consumer<byte[]> patch, String message) {
    return Arguments.of(what, patch, message);
  }

  static Arguments lie(String what, Consumer<byte[]> p1, Consumer<byte[]> p2, String message) {
    return Arguments.of(what, p1.andThen(p2), message);
  }

  /** What the issue reported: a plain snapshot patched to say "encrypted, AES-256-GCM". */
  /** A 1.2 header patched to "encrypted, AES-256-GCM, Argon2id 64 MiB, 3 passes, 1 lane". */
  static void encrypt12(byte[] e) {
    putIntLe(e, 48, 2);
    e[80] = 1;
    e[81] = 2;
    e[82] = 16;
    e[83] = 1;
    putIntLe(e, 84, 3);
    Arrays.fill(e, 88, 120, (byte) 0x5A);
  }

  static void encrypt(byte[] e) {
    e[10] = 1;
    putIntLe(e, 48, 2);
    e[80] = 1;
    e[81] = 2;
    putIntLe(e, 84, 600_000);
    Arrays.fill(e, 88, 120, (byte) 0x5A);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("fieldLies")
  void headerFieldThisCairnDoesNotImplementIsRefusedByName(
      String what, Consumer<byte[]> patch, String message) {
    byte[] f = LZ4.file().clone();
    patch.accept(f);
    Resealer.reseal(f);
    expectRefused(f, message);
  }

  // ----- stream names -----

  static Stream<Arguments> badNames() {
    return Stream.of(
        Arguments.of("", "''"),
        Arguments.of(".", "'.'"),
        Arguments.of("..", "'..'"),
        Arguments.of("/", "'/'"),
        Arguments.of("a/b", "'a/b'"),
        Arguments.of("a\0b", "'a\\x00b'"),
        Arguments.of("x\ny", "'x\\x0ay'"),
        Arguments.of(".cairn", "'.cairn'"));
  }

  @ParameterizedTest(name = "[{index}] {1}")
  @MethodSource("badNames")
  void nameThatCannotBeAFileNameInAMountIsRefused(String name, String shown) throws IOException {
    for (int stream = 0; stream < 2; stream++) {
      List<String> names = stream == 0 ? List.of(name, "disk.imx") : List.of("disk.img", name);
      byte[] f = renamed(names);
      expectRefused(
          f,
          "invalid snapshot: stream name "
              + stream
              + " "
              + shown
              + " cannot be a file name in a mount");
    }
  }

  /** The case: a mount listed two files with one name, one stream unreachable. */
  @Test
  void twoStreamsWithOneNameAreRefused() throws IOException {
    byte[] f = PADDED.file().clone();
    f[139] = 'g'; // "disk.imx" becomes "disk.img"
    Resealer.reseal(f);
    expectRefused(f, "invalid snapshot: both streams are named 'disk.img'");
  }

  /**
   * Two different malformed byte strings that a lenient decoder turns into the same name (both
   * "disk.im\uFFFD"): refused as malformed, before they could collide.
   */
  @Test
  void malformedUtf8NamesThatWouldDecodeAlikeAreRefused() throws IOException {
    byte[] f = PADDED.file().clone();
    f[129] = (byte) 0xFF;
    f[139] = (byte) 0xFE;
    String lenient0 = new String(f, 122, 8, StandardCharsets.UTF_8);
    String lenient1 = new String(f, 132, 8, StandardCharsets.UTF_8);
    assertEquals(lenient0, lenient1, "the two names decode alike when decoded leniently");
    Resealer.reseal(f);
    expectRefused(f, "invalid snapshot: stream name 0 is not valid UTF-8");

    byte[] g = PADDED.file().clone();
    g[139] = (byte) 0xFE; // only the second name; an overlong '/' is malformed too
    Resealer.reseal(g);
    expectRefused(g, "invalid snapshot: stream name 1 is not valid UTF-8");
    byte[] overlong = renamed(List.of("disk.img", "ab"));
    overlong[132] = (byte) 0xC0;
    overlong[133] = (byte) 0xAF;
    Resealer.reseal(overlong);
    expectRefused(overlong, "invalid snapshot: stream name 1 is not valid UTF-8");
  }

  @Test
  void parentPathHintMustBeUtf8WithoutNul() throws IOException {
    byte[] f = PADDED.file().clone();
    f[150] = (byte) 0xFF;
    Resealer.reseal(f);
    expectRefused(f, "invalid snapshot: parent path hint is not valid UTF-8");
    byte[] g = PADDED.file().clone();
    g[150] = 0;
    Resealer.reseal(g);
    expectRefused(g, "invalid snapshot: the parent path hint contains a NUL");
  }

  // ----- bytes after the last field -----

  @Test
  void bytesAfterTheHintAreRefusedUpToThisMinorVersionAndSkippedAfterIt() throws IOException {
    byte[] f = PADDED.file().clone();
    f[140] = 30; // the hint shrinks from 32 to 30 bytes: 2 undefined bytes follow it
    Resealer.reseal(f);
    expectRefused(
        f,
        "invalid snapshot: 2 bytes between the parent path hint and the header checksum, which"
            + " format 1.2 does not define");

    f[10] = 3; // a later minor version may add fields there, which this reader skips
    Resealer.reseal(f);
    try (Snapshot snap = Snapshots.open(f, NAME)) {
      assertEquals(3, snap.header().minorVersion());
      assertEquals("h".repeat(30), snap.header().parentPathHint());
      assertArrayEquals(PRIMARY, Snapshots.readAll(snap.stream(0)));
      assertArrayEquals(SECONDARY, Snapshots.readAll(snap.stream(1)));
    }
  }

  // ----- values that are implemented still open -----

  @Test
  void valuesThisCairnImplementsStillOpenAndReadExactly() throws IOException {
    byte[] sha =
        Snapshots.write(
                Fixture.options(CodecType.LZ4).withContentHash(HashAlgorithm.SHA256_128),
                List.of(Fixture.PRIMARY, Fixture.SECONDARY),
                PRIMARY,
                SECONDARY)
            .file()
            .clone();
    sha[10] = 0; // a 1.0 header with the 1.0 hash
    Resealer.reseal(sha);
    byte[] level = LZ4.file().clone();
    level[42] = -100; // informational only
    Resealer.reseal(level);
    byte[] minor = LZ4.file().clone();
    minor[10] = 9;
    Resealer.reseal(minor);
    for (byte[] f : List.of(sha, level, minor)) {
      try (Snapshot snap = Snapshots.open(f, NAME)) {
        assertArrayEquals(PRIMARY, Snapshots.readAll(snap.stream(0)));
        assertArrayEquals(SECONDARY, Snapshots.readAll(snap.stream(1)));
        assertTrue(new Verifier(snap).run(d -> {}).ok());
      }
    }
  }

  // ----- reserved bytes outside the header: corruption of that structure -----

  @Test
  void reservedBytesOfTrailerFooterAndIndexMustBeZero() throws IOException {
    int t = LZ4.file().length - Trailer.LENGTH;
    byte[] trailer = LZ4.file().clone();
    trailer[t + 41] = 1;
    Resealer.reseal(trailer);
    expectCorrupt(trailer, NAME + ": corrupt snapshot: trailer reserved bytes are not zero");

    byte[] footer = LZ4.file().clone();
    int fo = (int) LZ4.trailer().footerOffset();
    footer[fo + 8 + 28] = 1; // stream 0: size, blocks, stored, pages, then 4 reserved bytes
    Resealer.reseal(footer);
    expectCorrupt(
        footer,
        NAME + ": corrupt snapshot: footer of stream disk.img: reserved bytes are not zero");

    Footer.StreamLayout s0 = LZ4.footer().streams().get(0);
    int page1 = (int) s0.pageOffsets()[1];
    int perPage = LZ4.header().entriesPerPage();
    byte[] pageHeader = LZ4.file().clone();
    pageHeader[page1 + 6] = 1;
    Resealer.reseal(pageHeader);
    expectBlockFails(
        pageHeader,
        perPage,
        NAME
            + ": corrupt snapshot, stream disk.img, block 4: index page reserved bytes are not zero");
    byte[] entry = LZ4.file().clone();
    entry[page1 + IndexPage.HEADER_LENGTH + 40 + 21] = 1; // block 5's second reserved field
    Resealer.reseal(entry);
    expectBlockFails(
        entry,
        perPage + 1,
        NAME
            + ": corrupt snapshot, stream disk.img, block 5: index entry reserved bytes are not zero");
  }

  // ----- helpers -----

  /**
   * {@link #PADDED} with its header rewritten to carry {@code names}; the padding hint absorbs the
   * difference, so every other offset in the file stays valid.
   */
  static byte[] renamed(List<String> names) {
    Header old = PADDED.header();
    int room = 16 + 32; // the two names and the hint of PADDED
    for (String n : names) {
      room -= n.getBytes(StandardCharsets.UTF_8).length;
    }
    Header h =
        new Header(
            old.minorVersion(),
            old.snapshotId(),
            old.createdMillis(),
            old.blockSizeLog2(),
            old.codec(),
            old.codecLevel(),
            old.contentHash(),
            old.entriesPerPage(),
            0,
            0,
            names,
            old.parentId(),
            "h".repeat(room),
            old.encryption());
    byte[] encoded = h.encode().array();
    assertEquals(PADDED.headerLength(), encoded.length);
    byte[] f = PADDED.file().clone();
    System.arraycopy(encoded, 0, f, 0, encoded.length);
    return f;
  }

  static void expectRefused(byte[] file, String what) {
    MemoryByteSource src = new MemoryByteSource(file, NAME);
    UnsupportedSnapshotException e =
        assertThrows(
            UnsupportedSnapshotException.class, () -> Snapshots.open(src, 1 << 20).close());
    assertEquals(NAME + ": " + what, e.getMessage());
    assertTrue(e.isUsageError(), "a usage error: exit 2");
    assertTrue(src.isClosed(), "source closed");
    // The chain walker reads headers on their own: the same refusal.
    UnsupportedSnapshotException h =
        assertThrows(
            UnsupportedSnapshotException.class,
            () -> Snapshot.readHeader(new MemoryByteSource(file, NAME)));
    assertEquals(e.getMessage(), h.getMessage());
  }

  static void expectCorrupt(byte[] file, String message) {
    CorruptSnapshotException e =
        assertThrows(CorruptSnapshotException.class, () -> Snapshots.open(file, NAME).close());
    assertEquals(message, e.getMessage());
  }

  /** Opens, then reads every block of stream 0: only {@code bad} fails, with {@code message}. */
  static void expectBlockFails(byte[] file, long bad, String message) throws IOException {
    try (Snapshot snap = Snapshots.open(file, NAME)) {
      StreamReader s = snap.stream(0);
      CairnException e =
          assertThrows(CorruptSnapshotException.class, () -> s.entry(bad), "block " + bad);
      assertEquals(message, e.getMessage());
      assertArrayEquals(
          Arrays.copyOf(PRIMARY, 4 * Fixture.BLOCK),
          readRange(s, 0, 4 * Fixture.BLOCK),
          "the blocks of other pages still read");
    }
  }

  static byte[] readRange(StreamReader s, long off, int len) throws IOException {
    java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(len);
    while (b.hasRemaining()) {
      if (s.read(off + b.position(), b) <= 0) {
        break;
      }
    }
    return b.array();
  }
}
