package dev.cairn.format;

import static dev.cairn.testing.Snapshots.getIntLe;
import static dev.cairn.testing.Snapshots.getLongLe;
import static dev.cairn.testing.Snapshots.putIntLe;
import static dev.cairn.testing.Snapshots.resealHeader;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cairn.crypto.KeyDerivation;
import dev.cairn.error.CairnException;
import dev.cairn.error.CorruptSnapshotException;
import dev.cairn.error.NotASnapshotException;
import dev.cairn.error.UnsupportedSnapshotException;
import dev.cairn.error.UnsupportedVersionException;
import dev.cairn.io.Crc;
import dev.cairn.testing.TestData;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The v1 byte layouts exactly as documented in the javadoc of {@link Header}, {@link Trailer},
 * {@link Footer}, {@link IndexPage} and {@link BlockEntry}, and the checks their parsers make.
 */
class FormatRecordsTest {
  static final String SRC = "/x/y.cairn";
  static final SnapshotId ID = new SnapshotId(0x0102030405060708L, 0x1112131415161718L);
  static final SnapshotId PARENT = new SnapshotId(0x2122232425262728L, 0x3132333435363738L);

  static Header fullHeader() {
    byte[] salt = new byte[16];
    byte[] check = new byte[16];
    Arrays.fill(salt, (byte) 0xAA);
    Arrays.fill(check, (byte) 0xBB);
    return fullHeader(
        new Encryption(
            Encryption.CIPHER_AES_256_GCM, new KeyDerivation.Argon2id(16, 3, 1, salt), check));
  }

  static Header fullHeader(Encryption encryption) {
    return new Header(
        3,
        ID,
        1_700_000_000_123L,
        16,
        CodecType.ZSTD,
        -5,
        HashAlgorithm.XXH3_128,
        1000,
        4096,
        0xCAFEBABE,
        List.of("disk.img", "notes"),
        PARENT,
        "../p.cairn",
        encryption);
  }

  static Header plainHeader() {
    return new Header(
        0,
        ID,
        5,
        12,
        CodecType.LZ4,
        0,
        HashAlgorithm.SHA256_128,
        4,
        0,
        0,
        List.of("a"),
        SnapshotId.NONE,
        "",
        Encryption.NONE);
  }

  @Test
  void headerLayoutMatchesTheDocumentation() throws CairnException {
    Header h = fullHeader();
    byte[] e = h.encode().array();
    ByteBuffer b = ByteBuffer.wrap(e).order(ByteOrder.LITTLE_ENDIAN);
    assertArrayEquals(
        new byte[] {(byte) 0x89, 0x43, 0x41, 0x49, 0x52, 0x4E, 0x0D, 0x0A}, Arrays.copyOf(e, 8));
    assertEquals(1, b.getShort(8));
    assertEquals(3, b.getShort(10));
    int length = b.getInt(12);
    assertEquals(e.length, length);
    assertEquals(120 + (2 + 8) + (2 + 5) + (2 + 10) + 4, length);
    assertArrayEquals(ID.toBytes(), Arrays.copyOfRange(e, 16, 32));
    assertEquals(1_700_000_000_123L, b.getLong(32));
    assertEquals(16, e[40]);
    assertEquals(2, e[41]);
    assertEquals(-5, e[42]);
    assertEquals(2, e[43], "XXH3-128");
    assertEquals(1000, b.getInt(44));
    assertEquals(1 | 2 | 4, b.getInt(48), "flags: parent, encrypted, dictionary");
    assertEquals(4096, b.getInt(52));
    assertEquals(0xCAFEBABE, b.getInt(56));
    assertEquals(2, e[60]);
    assertArrayEquals(new byte[3], Arrays.copyOfRange(e, 61, 64));
    assertArrayEquals(PARENT.toBytes(), Arrays.copyOfRange(e, 64, 80));
    assertEquals(1, e[80]);
    assertEquals(2, e[81], "Argon2id");
    assertEquals(16, e[82], "64 MiB");
    assertEquals(1, e[83], "one lane");
    assertEquals(3, b.getInt(84), "passes");
    assertEquals((byte) 0xAA, e[88]);
    assertEquals((byte) 0xAA, e[103]);
    assertEquals((byte) 0xBB, e[104]);
    assertEquals((byte) 0xBB, e[119]);
    assertEquals(8, b.getShort(120));
    assertEquals("disk.img", new String(e, 122, 8, StandardCharsets.UTF_8));
    assertEquals(5, b.getShort(130));
    assertEquals("notes", new String(e, 132, 5, StandardCharsets.UTF_8));
    assertEquals(10, b.getShort(137));
    assertEquals("../p.cairn", new String(e, 139, 10, StandardCharsets.UTF_8));
    assertEquals(Crc.of(ByteBuffer.wrap(e), 0, length - 4), b.getInt(length - 4));

    assertEquals(length, Header.peekLength(ByteBuffer.wrap(e), SRC));
    assertEquals(fullHeader(), Header.parse(ByteBuffer.wrap(e), SRC));
    Header plain = fullHeader(Encryption.NONE);
    assertEquals(plain, Header.parse(plain.encode(), SRC));
  }

  @Test
  void headerParsesFromTheBuffersPositionAndIgnoresWhatFollows() throws CairnException {
    byte[] e = plainHeader().encode().array();
    byte[] padded = new byte[e.length + 37];
    System.arraycopy(e, 0, padded, 5, e.length);
    ByteBuffer b = ByteBuffer.wrap(padded).position(5);
    assertEquals(plainHeader(), Header.parse(b, SRC));
    assertEquals(5, b.position(), "parse does not move the caller's buffer");
  }

  @Test
  void plainHeaderHasNoFlags() throws CairnException {
    byte[] e = plainHeader().encode().array();
    assertEquals(0, getIntLe(e, 48));
    assertEquals(120 + 2 + 1 + 2 + 4, e.length);
    Header h = Header.parse(ByteBuffer.wrap(e), SRC);
    assertFalse(h.hasParent());
    assertFalse(h.encryption().enabled());
    assertEquals(4096, h.blockSize());
  }

  static Stream<Arguments> headerLies() {
    return Stream.of(
        lie("unknown codec", e -> e[41] = 3),
        lie("block size 2^11", e -> e[40] = 11),
        lie("block size 2^21", e -> e[40] = 21),
        lie("hash algorithm 0", e -> e[43] = 0),
        lie("hash algorithm 3", e -> e[43] = 3),
        lie("0 entries per page", e -> putIntLe(e, 44, 0)),
        lie("65537 entries per page", e -> putIntLe(e, 44, 65537)),
        lie("negative entries per page", e -> putIntLe(e, 44, -1)),
        lie("0 streams", e -> e[60] = 0),
        lie("3 streams", e -> e[60] = 3),
        lie("zero snapshot id", e -> Arrays.fill(e, 16, 32, (byte) 0)),
        lie("parent flag without parent", e -> putIntLe(e, 48, 1)),
        lie("parent without flag", e -> e[70] = 1),
        lie("encrypted flag without cipher", e -> putIntLe(e, 48, 2)),
        lie("cipher without flag", e -> e[80] = 1),
        lie(
            "cipher 2",
            e -> {
              e[80] = 2;
              putIntLe(e, 48, 2);
            }),
        lie("kdf 3", e -> e[81] = 3),
        lie("dictionary flag without length", e -> putIntLe(e, 48, 4)),
        lie("dictionary length without flag", e -> putIntLe(e, 52, 100)),
        lie(
            "negative dictionary length",
            e -> {
              putIntLe(e, 48, 4);
              putIntLe(e, 52, -100);
            }),
        lie(
            "dictionary over 4 MiB",
            e -> {
              putIntLe(e, 48, 4);
              putIntLe(e, 52, (4 << 20) + 1);
            }),
        lie(
            "empty stream name",
            e -> {
              e[120] = 0;
              e[121] = 0;
            }),
        lie("name '.'", e -> e[122] = '.'),
        lie(
            "name with a slash",
            e -> {
              e[120] = 1;
              e[122] = '/';
            }),
        lie("name runs past the header", e -> e[120] = (byte) 200),
        lie("hint runs past the header", e -> e[123] = 50));
  }

  static Arguments lie(String what, Consumer<byte[]> patch) {
    return Arguments.of(what, patch);
  }

  /**
   * Each check behind the checksum, reached by patching a valid header and resealing it (exact
   * messages, on whole snapshots: {@code CraftedHeaderTest}).
   */
  @ParameterizedTest(name = "{0}")
  @MethodSource("headerLies")
  void headerChecksBehindTheChecksum(String what, Consumer<byte[]> patch) {
    byte[] e = plainHeader().encode().array(); // name "a" at 120..122, hint length at 123
    patch.accept(e);
    resealHeader(e);
    UnsupportedSnapshotException ex =
        assertThrows(
            UnsupportedSnapshotException.class, () -> Header.parse(ByteBuffer.wrap(e), SRC));
    assertTrue(
        ex.getMessage().startsWith(SRC + ": unsupported snapshot: ")
            || ex.getMessage().startsWith(SRC + ": invalid snapshot: "),
        ex.getMessage());
  }

  @Test
  void headerPrefixChecks() {
    byte[] e = plainHeader().encode().array();
    assertThrows(
        NotASnapshotException.class,
        () -> Header.peekLength(ByteBuffer.wrap(e, 0, 15), SRC),
        "15 bytes");
    byte[] text = "#!/bin/sh\necho hello world\n".getBytes(StandardCharsets.US_ASCII);
    assertThrows(NotASnapshotException.class, () -> Header.peekLength(ByteBuffer.wrap(text), SRC));
    byte[] crlf = e.clone();
    crlf[6] = '\n'; // a text-mode transfer turned \r\n into \n
    assertThrows(NotASnapshotException.class, () -> Header.peekLength(ByteBuffer.wrap(crlf), SRC));
    byte[] v2 = e.clone();
    v2[8] = 2;
    UnsupportedVersionException u =
        assertThrows(
            UnsupportedVersionException.class, () -> Header.parse(ByteBuffer.wrap(v2), SRC));
    assertTrue(u.getMessage().contains("2.0") && u.getMessage().contains("1.x"), u.getMessage());
    byte[] cut = Arrays.copyOf(e, e.length - 1);
    assertThrows(CorruptSnapshotException.class, () -> Header.parse(ByteBuffer.wrap(cut), SRC));
  }

  @Test
  void headerConstructorRejectsImpossibleValues() {
    assertThrows(
        IllegalArgumentException.class,
        () ->
            new Header(
                0,
                ID,
                0,
                11,
                CodecType.LZ4,
                0,
                HashAlgorithm.SHA256_128,
                4,
                0,
                0,
                List.of("a"),
                SnapshotId.NONE,
                "",
                Encryption.NONE));
    assertThrows(
        IllegalArgumentException.class,
        () ->
            new Header(
                0,
                ID,
                0,
                12,
                CodecType.LZ4,
                0,
                HashAlgorithm.SHA256_128,
                4,
                0,
                0,
                List.of(),
                SnapshotId.NONE,
                "",
                Encryption.NONE));
    assertThrows(
        IllegalArgumentException.class,
        () ->
            new Header(
                0,
                ID,
                0,
                12,
                CodecType.LZ4,
                0,
                HashAlgorithm.SHA256_128,
                4,
                0,
                0,
                List.of("a", "b", "c"),
                SnapshotId.NONE,
                "",
                Encryption.NONE));
    Header nullHint =
        new Header(
            0,
            ID,
            0,
            12,
            CodecType.LZ4,
            0,
            HashAlgorithm.SHA256_128,
            4,
            0,
            0,
            List.of("a"),
            SnapshotId.NONE,
            null,
            Encryption.NONE);
    assertEquals("", nullHint.parentPathHint());
  }

  @Test
  void streamNameRules() {
    for (String ok :
        List.of("a", "disk.img", "..a", "a..", " x ", "é".repeat(127), "x".repeat(255))) {
      assertTrue(Header.isValidStreamName(ok), ok);
    }
    for (String bad :
        List.of(
            "",
            ".",
            "..",
            ".cairn",
            "a/b",
            "/",
            "a\0",
            "a\nb",
            "\u001b[2J",
            "tab\there",
            "c1\u009b",
            "x".repeat(256),
            "é".repeat(128))) {
      assertFalse(Header.isValidStreamName(bad), bad);
    }
  }

  @Test
  void trailerLayoutAndChecks() throws CairnException {
    Trailer t = new Trailer(1000, 72, 0x12345678, ID);
    byte[] e = t.encode().array();
    assertEquals(48, e.length);
    assertEquals("CAIRNEND", new String(e, 0, 8, StandardCharsets.US_ASCII));
    assertEquals(1000, getLongLe(e, 8));
    assertEquals(72, getIntLe(e, 16));
    assertEquals(0x12345678, getIntLe(e, 20));
    assertArrayEquals(ID.toBytes(), Arrays.copyOfRange(e, 24, 40));
    assertEquals(0, getIntLe(e, 40));
    assertEquals(Crc.of(ByteBuffer.wrap(e), 0, 44), getIntLe(e, 44));
    assertEquals(t, Trailer.parse(ByteBuffer.wrap(e), 1000 + 72 + 48, SRC));
    // The footer must end exactly where the trailer starts.
    for (long size : new long[] {1000 + 72 + 47, 1000 + 72 + 49, 0, Long.MAX_VALUE}) {
      assertThrows(
          CorruptSnapshotException.class, () -> Trailer.parse(ByteBuffer.wrap(e), size, SRC));
    }
    assertThrows(
        CorruptSnapshotException.class,
        () -> Trailer.parse(ByteBuffer.wrap(e, 0, 47), 1120, SRC),
        "47 bytes");
  }

  @Test
  void footerLayoutRoundTripAndChecks() throws CairnException {
    Header h =
        new Header(
            0,
            ID,
            0,
            12,
            CodecType.LZ4,
            0,
            HashAlgorithm.SHA256_128,
            2,
            0,
            0,
            List.of("a", "b"),
            SnapshotId.NONE,
            "",
            Encryption.NONE);
    Footer f =
        new Footer(
            List.of(
                new Footer.StreamLayout(3 * 4096 + 1, 4, 999, new long[] {200, 300}),
                new Footer.StreamLayout(0, 0, 0, new long[0])));
    byte[] e = f.encode().array();
    assertEquals(8 + 32 + 16 + 32, e.length);
    assertEquals("CFTR", new String(e, 0, 4, StandardCharsets.US_ASCII));
    assertEquals(2, getIntLe(e, 4));
    assertEquals(3 * 4096 + 1, getLongLe(e, 8));
    assertEquals(4, getLongLe(e, 16));
    assertEquals(999, getLongLe(e, 24));
    assertEquals(2, getIntLe(e, 32));
    assertEquals(200, getLongLe(e, 40));
    assertEquals(300, getLongLe(e, 48));
    Footer back = Footer.parse(ByteBuffer.wrap(e), h, 150, 400, SRC);
    assertEquals(2, back.streams().size());
    assertArrayEquals(new long[] {200, 300}, back.streams().get(0).pageOffsets());
    assertEquals(999, back.streams().get(0).storedBytes());
    // Page offsets outside [dataStart, footerOffset) are refused.
    assertThrows(
        CorruptSnapshotException.class, () -> Footer.parse(ByteBuffer.wrap(e), h, 201, 400, SRC));
    assertThrows(
        CorruptSnapshotException.class, () -> Footer.parse(ByteBuffer.wrap(e), h, 150, 300, SRC));
    assertThrows(
        CorruptSnapshotException.class,
        () -> Footer.parse(ByteBuffer.wrap(e, 0, e.length - 1), h, 150, 400, SRC));
  }

  @Test
  void indexPageAndEntryLayout() throws CairnException {
    byte[] hash = TestData.contentHash(new byte[] {1, 2, 3}, 0, 3);
    BlockEntry[] entries = {
      new BlockEntry(BlockKind.COMPRESSED, 1234, 5000, 0xDEADBEEF, hash),
      new BlockEntry(BlockKind.ZERO, 0, 0, 0, new byte[16]),
      new BlockEntry(BlockKind.RAW, 4096, 7000, 7, hash),
      new BlockEntry(BlockKind.PARENT, 0, 0, 0, hash),
    };
    byte[] e = IndexPage.encode(1, 8, entries, 4).array();
    assertEquals(IndexPage.encodedLength(4), e.length);
    assertEquals(24 + 4 * 40 + 4, e.length);
    assertEquals("CIXP", new String(e, 0, 4, StandardCharsets.US_ASCII));
    assertEquals(1, e[4]);
    assertEquals(8, getLongLe(e, 8));
    assertEquals(4, getIntLe(e, 16));
    // First entry, at 24.
    assertEquals(1, e[24]);
    assertEquals(1234, getIntLe(e, 28));
    assertEquals(5000, getLongLe(e, 32));
    assertEquals(0xDEADBEEF, getIntLe(e, 40));
    assertEquals(0, getIntLe(e, 44));
    assertArrayEquals(hash, Arrays.copyOfRange(e, 48, 64));
    assertEquals(0, e[64]);
    assertEquals(2, e[104]);
    assertEquals(3, e[144]);
    assertEquals(Crc.of(ByteBuffer.wrap(e), 0, e.length - 4), getIntLe(e, e.length - 4));

    IndexPage p = IndexPage.parse(ByteBuffer.wrap(e), 1, 8, 4, 1000, 20_000, 8192, SRC, "s");
    assertEquals(8, p.firstBlock());
    assertEquals(4, p.count());
    for (int i = 0; i < 4; i++) {
      assertEquals(entries[i], p.entry(i));
      assertEquals(entries[i].kind(), p.kind(i));
    }
    assertThrows(IndexOutOfBoundsException.class, () -> p.entry(4));
    assertThrows(IndexOutOfBoundsException.class, () -> p.kind(-1));
    // The page must be the one the caller expects: stream, first block and count.
    assertThrows(
        CorruptSnapshotException.class,
        () -> IndexPage.parse(ByteBuffer.wrap(e), 0, 8, 4, 1000, 20_000, 8192, SRC, "s"));
    assertThrows(
        CorruptSnapshotException.class,
        () -> IndexPage.parse(ByteBuffer.wrap(e), 1, 12, 4, 1000, 20_000, 8192, SRC, "s"));
    assertThrows(
        CorruptSnapshotException.class,
        () -> IndexPage.parse(ByteBuffer.wrap(e), 1, 8, 3, 1000, 20_000, 8192, SRC, "s"));
    // Stored bytes must lie in the data area and fit the largest block.
    assertThrows(
        CorruptSnapshotException.class,
        () -> IndexPage.parse(ByteBuffer.wrap(e), 1, 8, 4, 5001, 20_000, 8192, SRC, "s"));
    assertThrows(
        CorruptSnapshotException.class,
        () -> IndexPage.parse(ByteBuffer.wrap(e), 1, 8, 4, 1000, 7000 + 4095, 8192, SRC, "s"));
    CorruptSnapshotException tooBig =
        assertThrows(
            CorruptSnapshotException.class,
            () -> IndexPage.parse(ByteBuffer.wrap(e), 1, 8, 4, 1000, 20_000, 4095, SRC, "s"));
    assertEquals(10, tooBig.block(), "names the block: 8 + entry 2");
    assertEquals("s", tooBig.stream());
  }

  @Test
  void blockEntryWritesLittleEndianIntoBigEndianBuffers() {
    BlockEntry e = new BlockEntry(BlockKind.RAW, 0x01020304, 0x05060708090A0B0CL, -1, new byte[16]);
    ByteBuffer big = ByteBuffer.allocate(50).position(5);
    e.write(big);
    assertEquals(45, big.position());
    byte[] a = big.array();
    assertEquals(0x01020304, getIntLe(a, 9));
    assertEquals(0x05060708090A0B0CL, getLongLe(a, 13));
    assertThrows(
        IllegalArgumentException.class, () -> new BlockEntry(BlockKind.RAW, 1, 1, 1, new byte[15]));
  }

  @Test
  void idsAndKindsAndCodecs() {
    assertEquals(ID, SnapshotId.parse(ID.toString()));
    assertEquals("0102030405060708" + "1112131415161718", ID.toString());
    assertThrows(IllegalArgumentException.class, () -> SnapshotId.parse("abc"));
    for (int i = 0; i < 100; i++) {
      assertFalse(SnapshotId.random().isNone());
    }
    assertTrue(SnapshotId.NONE.isNone());
    for (BlockKind k : BlockKind.values()) {
      assertEquals(k, BlockKind.byId(k.id()));
    }
    assertNull(BlockKind.byId(4));
    assertNull(BlockKind.byId(-1));
    assertEquals(0, BlockKind.ZERO.id());
    assertEquals(1, BlockKind.COMPRESSED.id());
    assertEquals(2, BlockKind.RAW.id());
    assertEquals(3, BlockKind.PARENT.id());
    for (CodecType c : CodecType.values()) {
      assertEquals(c, CodecType.byId(c.id()));
    }
    assertEquals(0, CodecType.NONE.id());
    assertEquals(1, CodecType.LZ4.id());
    assertEquals(2, CodecType.ZSTD.id());
    assertNull(CodecType.byId(3));
  }

  @Test
  void checksumsAndHashes() {
    byte[] check = "123456789".getBytes(StandardCharsets.US_ASCII);
    assertEquals(0xE3069283, Crc.ofRemaining(ByteBuffer.wrap(check)), "CRC32C check value");
    ByteBuffer b = ByteBuffer.wrap(check).position(2);
    byte[] h = HashAlgorithm.SHA256_128.newHasher().hash(b);
    assertEquals(2, b.position(), "hash does not move the buffer");
    assertArrayEquals(TestData.sha256Hash(check, 2, 9), h);
  }

  /** Reference values printed by {@code xxhsum -H2} (xxHash's own tool), canonical form. */
  @Test
  void xxh3ContentHashMatchesTheReferenceImplementation() {
    ContentHasher x = HashAlgorithm.XXH3_128.newHasher();
    HexFormat hex = HexFormat.of();
    assertEquals("99aa06d3014798d86001c324468d497f", hex.formatHex(x.hash(ByteBuffer.allocate(0))));
    ByteBuffer cairn = ByteBuffer.wrap("xcairn".getBytes(StandardCharsets.US_ASCII)).position(1);
    assertEquals("df3f39e97f66b387a29c3e7c8dc157a5", hex.formatHex(x.hash(cairn)));
    assertEquals(1, cairn.position(), "hash does not move the buffer");
    ByteBuffer zeros = ByteBuffer.allocateDirect(65536 + 8).position(8);
    assertEquals("fd5ee061c8433a0f33b202d302b65caa", hex.formatHex(x.hash(zeros)));
    assertEquals(8, zeros.position(), "hash does not move the buffer");
    assertEquals(HashAlgorithm.XXH3_128, HashAlgorithm.byId(2));
    assertEquals(HashAlgorithm.SHA256_128, HashAlgorithm.byId(1));
    assertNull(HashAlgorithm.byId(0));
    assertNull(HashAlgorithm.byId(3));
  }

  @Test
  void exceptionMessagesNameFileStreamAndBlock() {
    CorruptSnapshotException c =
        new CorruptSnapshotException("/a.cairn", "disk.img", 7, "checksum mismatch", null);
    assertEquals(
        "/a.cairn: corrupt snapshot, stream disk.img, block 7: checksum mismatch", c.getMessage());
    assertFalse(c.isUsageError());
    assertEquals(
        "/a.cairn: corrupt snapshot: footer",
        new CorruptSnapshotException("/a.cairn", "footer").getMessage());
    assertTrue(new NotASnapshotException("/a", "x").isUsageError());
    assertTrue(new NotASnapshotException("/a", "x").getMessage().startsWith("/a: "));
    UnsupportedVersionException u =
        new UnsupportedVersionException("/a", 2, 1, Header.MAJOR_VERSION);
    assertTrue(u.isUsageError());
    assertTrue(u.getMessage().startsWith("/a: "));
    assertTrue(u.getMessage().contains("2.1"));
  }
}
