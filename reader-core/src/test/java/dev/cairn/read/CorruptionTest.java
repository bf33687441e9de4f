package dev.cairn.read;

import static dev.cairn.testing.Snapshots.putIntLe;
import static dev.cairn.testing.Snapshots.putLongLe;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cairn.codec.Codec;
import dev.cairn.codec.Compressor;
import dev.cairn.codec.MalformedBlockException;
import dev.cairn.error.CairnException;
import dev.cairn.error.CorruptSnapshotException;
import dev.cairn.error.NotASnapshotException;
import dev.cairn.error.UnsupportedSnapshotException;
import dev.cairn.error.UnsupportedVersionException;
import dev.cairn.format.BlockEntry;
import dev.cairn.format.BlockKind;
import dev.cairn.format.CodecType;
import dev.cairn.format.Header;
import dev.cairn.format.IndexPage;
import dev.cairn.format.Trailer;
import dev.cairn.source.FileByteSource;
import dev.cairn.testing.Fixture;
import dev.cairn.testing.MemoryByteSource;
import dev.cairn.testing.Snapshots;
import dev.cairn.testing.TestData;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Damage anywhere in a snapshot is reported as the right {@link CairnException}, naming the file
 * (and, for a block, the stream and block), and never as garbage data, another exception, an
 * out-of-memory error or a hang. Damage to one block leaves every other block readable.
 */
class CorruptionTest {
  static final String NAME = "/virtual/damaged.cairn";
  static final byte[] PRIMARY = Fixture.primary();
  static final byte[] SECONDARY = Fixture.secondary();
  static final Snapshots.Written LZ4 = Fixture.write(CodecType.LZ4);

  static byte[] expected(int stream) {
    return stream == 0 ? PRIMARY : SECONDARY;
  }

  static String streamName(int stream) {
    return stream == 0 ? Fixture.PRIMARY : Fixture.SECONDARY;
  }

  // ----- data blocks -----

  @ParameterizedTest
  @EnumSource(CodecType.class)
  void flippedDataByteFailsThatBlockOnlyAndNamesStreamAndBlock(CodecType codec) throws IOException {
    Snapshots.Written w = Fixture.write(codec);
    int damaged = 0;
    for (int s = 0; s < 2; s++) {
      int perPage = w.header().entriesPerPage();
      long blocks = w.footer().streams().get(s).blockCount();
      for (long b = 0; b < blocks; b++) {
        BlockEntry e = w.page(s, (int) (b / perPage)).entry((int) (b % perPage));
        if (!e.kind().hasData()) {
          continue;
        }
        for (int at : new int[] {0, e.storedLength() / 2, e.storedLength() - 1}) {
          byte[] f = w.file().clone();
          f[(int) e.offset() + at] ^= 0x10;
          checkOnlyBlockFails(f, s, b, "checksum mismatch", at == 0);
          damaged++;
        }
      }
    }
    assertTrue(damaged >= 3 * 10, "damaged " + damaged + " blocks");
  }

  /**
   * Opens the damaged file, checks that every way of reading block {@code bad} of stream {@code
   * stream} fails naming it, and (if {@code checkOthers}) that every other byte still reads.
   */
  static void checkOnlyBlockFails(
      byte[] file, int stream, long bad, String why, boolean checkOthers) throws IOException {
    try (Snapshot snap = Snapshots.open(file, NAME)) {
      StreamReader s = snap.stream(stream);
      int bs = s.blockSize();
      long start = bad * bs;
      int len = s.blockLength(bad);
      List<Executable> reads =
          List.of(
              () -> s.read(start, ByteBuffer.allocateDirect(len)), // whole block, direct
              () -> s.read(start, ByteBuffer.allocate(len)), // whole block, heap
              () -> s.read(start + len / 2, ByteBuffer.allocate(1)), // one byte
              () -> s.read(Math.max(0, start - 10), ByteBuffer.allocate(len + 20)), // across
              () -> s.readBlock(bad, ByteBuffer.allocateDirect(bs)));
      for (Executable r : reads) {
        CorruptSnapshotException e = assertThrows(CorruptSnapshotException.class, r);
        assertEquals(streamName(stream), e.stream());
        assertEquals(bad, e.block());
        assertEquals(NAME, e.source());
        assertTrue(e.getMessage().startsWith(NAME + ": "), e.getMessage());
        assertTrue(e.getMessage().contains(why), e.getMessage());
        assertTrue(e.getMessage().contains("block " + bad), e.getMessage());
        assertFalse(e.getMessage().contains("\n"), "one line: " + e.getMessage());
      }
      if (checkOthers) {
        for (int t = 0; t < 2; t++) {
          StreamReader other = snap.stream(t);
          byte[] want = expected(t);
          for (long b = 0; b < other.blockCount(); b++) {
            if (t == stream && b == bad) {
              continue;
            }
            int from = (int) (b * bs);
            Snapshots.checkRead(other, want, from, other.blockLength(b), b % 2 == 0, 0);
            Snapshots.checkRead(other, want, from + 1, 5, false, 0);
          }
        }
      }
    }
  }

  // ----- index pages -----

  @Test
  void flippedIndexPageByteFailsThatPageOnly() throws IOException {
    Snapshots.Written w = LZ4;
    int perPage = w.header().entriesPerPage();
    int flips = 0;
    for (int s = 0; s < 2; s++) {
      int pages = w.footer().streams().get(s).pageOffsets().length;
      assertTrue(pages >= 1);
      for (int p = 0; p < pages; p++) {
        int off = (int) w.pageOffset(s, p);
        int len = IndexPage.encodedLength(w.pageEntries(s, p));
        for (int at = 0; at < len; at++) {
          byte[] f = w.file().clone();
          f[off + at] ^= (byte) (1 << (at % 8));
          boolean full = at == 0 || at == 30 || at == len - 1;
          checkPageFails(f, s, p, perPage, w.pageEntries(s, p), full);
          flips++;
        }
      }
    }
    assertTrue(flips > 500);
  }

  static void checkPageFails(
      byte[] file, int stream, int page, int perPage, int entries, boolean checkOthers)
      throws IOException {
    try (Snapshot snap = Snapshots.open(file, NAME)) {
      StreamReader s = snap.stream(stream);
      long first = (long) page * perPage;
      for (long b = first; b < first + entries; b++) {
        long block = b;
        for (Executable r :
            List.<Executable>of(
                () -> s.read(block * s.blockSize(), ByteBuffer.allocate(3)),
                () -> s.entry(block))) {
          CorruptSnapshotException e = assertThrows(CorruptSnapshotException.class, r);
          assertEquals(streamName(stream), e.stream());
          assertTrue(
              e.block() >= first && e.block() < first + entries, "block " + e.block() + " in page");
          assertTrue(e.getMessage().startsWith(NAME + ": "), e.getMessage());
          assertTrue(e.getMessage().contains("index page"), e.getMessage());
        }
      }
      if (checkOthers) {
        for (int t = 0; t < 2; t++) {
          StreamReader other = snap.stream(t);
          for (long b = 0; b < other.blockCount(); b++) {
            if (t == stream && b / perPage == page) {
              continue;
            }
            Snapshots.checkRead(
                other, expected(t), b * s.blockSize(), other.blockLength(b), true, 0);
          }
        }
      }
    }
  }

  // ----- footer, trailer, header -----

  @Test
  void everyFooterByteFlipIsCaughtAtOpen() {
    Snapshots.Written w = LZ4;
    int off = (int) w.trailer().footerOffset();
    int len = w.trailer().footerLength();
    for (int at = off; at < off + len; at++) {
      byte[] f = w.file().clone();
      f[at] ^= 0x04;
      CorruptSnapshotException e = expectOpenFails(CorruptSnapshotException.class, f);
      assertTrue(e.getMessage().contains("footer checksum"), e.getMessage());
      assertEquals(CorruptSnapshotException.NO_BLOCK, e.block());
    }
  }

  @Test
  void everyTrailerByteFlipIsCaughtAtOpen() {
    byte[] file = LZ4.file();
    for (int at = file.length - Trailer.LENGTH; at < file.length; at++) {
      byte[] f = file.clone();
      f[at] ^= (byte) 0x80;
      expectOpenFails(CorruptSnapshotException.class, f);
    }
  }

  @Test
  void everyHeaderByteFlipIsCaughtAtOpenWithTheRightException() {
    byte[] file = LZ4.file();
    int h = LZ4.headerLength();
    for (int at = 0; at < h; at++) {
      for (int bit : new int[] {0, 7}) {
        byte[] f = file.clone();
        f[at] ^= (byte) (1 << bit);
        Class<? extends CairnException> want =
            at < 8
                ? NotASnapshotException.class
                : at < 10 ? UnsupportedVersionException.class : CorruptSnapshotException.class;
        expectOpenFails(want, f);
      }
    }
  }

  @Test
  void anotherMinorVersionStillOpens() throws IOException {
    byte[] f = LZ4.file().clone();
    f[10] = 9;
    Snapshots.resealHeader(f);
    try (Snapshot snap = Snapshots.open(f, NAME)) {
      assertEquals(9, snap.header().minorVersion());
      assertArrayEquals(PRIMARY, Snapshots.readAll(snap.stream(0)));
    }
  }

  @ParameterizedTest
  @ValueSource(ints = {2, 0, 3, 0x100, 0xFFFF})
  void unknownMajorVersionIsRefusedNamingBothVersions(int major) {
    byte[] f = LZ4.file().clone();
    f[8] = (byte) major;
    f[9] = (byte) (major >>> 8);
    UnsupportedVersionException e = expectOpenFails(UnsupportedVersionException.class, f);
    assertTrue(
        e.getMessage().contains("version " + major + "." + Header.MINOR_VERSION), e.getMessage());
    assertTrue(e.getMessage().contains(Header.MAJOR_VERSION + ".x"), e.getMessage());
    assertTrue(e.isUsageError());
  }

  @Test
  void majorVersionTwoIsRefusedEvenWithAValidChecksumAndOtherLayout() {
    // A future format may change everything after the version; only the prefix is read.
    byte[] f = new byte[200];
    System.arraycopy(LZ4.file(), 0, f, 0, 8);
    f[8] = 2;
    f[10] = 3;
    putIntLe(f, 12, 999_999);
    UnsupportedVersionException e = expectOpenFails(UnsupportedVersionException.class, f);
    assertTrue(e.getMessage().contains("2.3"), e.getMessage());
    assertTrue(e.getMessage().contains("1.x"), e.getMessage());
  }

  @ParameterizedTest
  @ValueSource(
      ints = {Integer.MAX_VALUE, Integer.MIN_VALUE, -1, 0, 123, Header.MAX_LENGTH + 1, 1 << 30})
  void headerLengthOutOfRangeIsCorruption(int length) {
    byte[] f = LZ4.file().clone();
    putIntLe(f, 12, length);
    CorruptSnapshotException e = expectOpenFails(CorruptSnapshotException.class, f);
    assertTrue(e.getMessage().contains("header length"), e.getMessage());
  }

  @Test
  void headerLengthLargerThanTheFileIsCorruption() {
    byte[] f = Arrays.copyOf(LZ4.file(), 1000);
    putIntLe(f, 12, Header.MAX_LENGTH);
    expectOpenFails(CorruptSnapshotException.class, f);
    byte[] g = LZ4.file().clone();
    putIntLe(g, 12, Header.MAX_LENGTH);
    expectOpenFails(CorruptSnapshotException.class, g);
  }

  // ----- truncation, extension, garbage -----

  @Test
  void everyTruncationIsRefused() {
    byte[] file = LZ4.file();
    for (int len = 0; len < file.length; len++) {
      Class<? extends CairnException> want =
          len < Header.PREFIX_LENGTH ? NotASnapshotException.class : CorruptSnapshotException.class;
      MemoryByteSource src = new MemoryByteSource(file, len, NAME);
      CairnException e = assertThrows(want, () -> Snapshots.open(src, 1 << 20), "length " + len);
      assertTrue(e.getMessage().startsWith(NAME + ": "), e.getMessage());
      assertTrue(src.isClosed());
    }
  }

  @ParameterizedTest
  @ValueSource(ints = {0, 1, 15, 16, 100, 200, -1, -24, -47, -48, -49})
  void truncatedFilesOnDiskAreRefusedNamingThePath(int cut, @TempDir Path dir) throws IOException {
    byte[] file = LZ4.file();
    int len = cut >= 0 ? cut : file.length + cut;
    Path p = dir.resolve("cut " + cut + ".cairn");
    Files.write(p, Arrays.copyOf(file, len));
    Class<? extends CairnException> want =
        len < 16 ? NotASnapshotException.class : CorruptSnapshotException.class;
    CairnException e = assertThrows(want, () -> Snapshots.open(FileByteSource.open(p), 1 << 20));
    assertTrue(e.getMessage().startsWith(p + ": "), e.getMessage());
  }

  @ParameterizedTest
  @ValueSource(ints = {1, 47, 48, 4096})
  void extendedFilesAreRefused(int extra) {
    byte[] f = Arrays.copyOf(LZ4.file(), LZ4.file().length + extra);
    expectOpenFails(CorruptSnapshotException.class, f);
    // Even when the appended bytes end with a copy of the real trailer.
    byte[] g = Arrays.copyOf(LZ4.file(), LZ4.file().length + extra);
    System.arraycopy(LZ4.file(), LZ4.file().length - 48, g, g.length - 48, 48);
    expectOpenFails(CorruptSnapshotException.class, g);
  }

  @Test
  void randomGarbageIsNotASnapshot() {
    Random r = new Random(2024);
    for (int i = 0; i < 300; i++) {
      byte[] f = new byte[r.nextInt(i < 100 ? 64 : 70_000)];
      r.nextBytes(f);
      if (f.length > 0 && f[0] == (byte) 0x89) {
        f[0] = 0;
      }
      expectOpenFails(NotASnapshotException.class, f);
    }
  }

  @Test
  void garbageAfterAValidPrefixIsCorruptionOrAnotherVersion() {
    Random r = new Random(2025);
    byte[] real = LZ4.file();
    for (int i = 0; i < 300; i++) {
      byte[] f = new byte[16 + r.nextInt(40_000)];
      r.nextBytes(f);
      int keep =
          switch (i % 3) {
            case 0 -> 8; // magic only
            case 1 -> 12; // magic and version
            default -> Math.min(f.length, LZ4.headerLength()); // a whole valid header
          };
      System.arraycopy(real, 0, f, 0, keep);
      assertThrows(CairnException.class, () -> Snapshots.open(f, NAME).close(), "case " + i);
    }
  }

  @Test
  void zeroFilledFilesOfAnySizeAreNotSnapshots() {
    for (int n : new int[] {0, 1, 15, 16, 17, 4096, 1 << 20}) {
      expectOpenFails(NotASnapshotException.class, new byte[n]);
    }
  }

  // ----- lengths and offsets claiming huge sizes, behind valid checksums -----

  @Test
  void trailerClaimingAFooterPetabytesAwayIsCorruption() {
    for (long offset : new long[] {1L << 50, Long.MAX_VALUE, -1, Long.MIN_VALUE}) {
      byte[] f = LZ4.file().clone();
      putLongLe(f, f.length - 48 + 8, offset);
      Snapshots.resealTrailer(f);
      expectOpenFails(CorruptSnapshotException.class, f);
    }
  }

  @Test
  void trailerClaimingAHugeFooterIsCorruptionNotAnAllocation() {
    for (int length : new int[] {Integer.MAX_VALUE, 0x7FFFFFF0, -8, 0, 7, 300 << 20}) {
      byte[] f = LZ4.file().clone();
      int t = f.length - 48;
      putIntLe(f, t + 16, length);
      // Keep offset + length = trailer start, so only the length check can catch it.
      putLongLe(f, t + 8, (long) t - length);
      Snapshots.resealTrailer(f);
      expectOpenFails(CorruptSnapshotException.class, f);
    }
  }

  @Test
  void footerClaimingPetabyteStreamsIsCorruption() {
    int footer = (int) LZ4.trailer().footerOffset();
    int stream0 = footer + 8;
    long huge = 1L << 50;
    long blocks = huge / 4096;
    long pages = blocks / 4;
    long[][] claims = {
      {huge, -1, -1}, // size only
      {huge, blocks, -1}, // size and blocks agree, pages do not
      {huge, blocks, pages}, // all agree: the page list would be 2 PiB / 4 KiB / 4 * 8 bytes
      {Long.MAX_VALUE, (Long.MAX_VALUE >>> 12) + 1, -1},
      {-1, 0, 0},
    };
    for (long[] c : claims) {
      byte[] f = LZ4.file().clone();
      putLongLe(f, stream0, c[0]);
      if (c[1] >= 0) {
        putLongLe(f, stream0 + 8, c[1]);
      }
      if (c[2] >= 0) {
        putIntLe(f, stream0 + 24, (int) c[2]);
      }
      Snapshots.resealFooter(f);
      expectOpenFails(CorruptSnapshotException.class, f);
    }
  }

  @Test
  void footerWithWrongStreamCountOrStrayPageOffsetsIsCorruption() {
    int footer = (int) LZ4.trailer().footerOffset();
    for (int count : new int[] {0, 1, 3, 255, -1, Integer.MAX_VALUE}) {
      byte[] f = LZ4.file().clone();
      putIntLe(f, footer + 4, count);
      Snapshots.resealFooter(f);
      expectOpenFails(CorruptSnapshotException.class, f);
    }
    int firstPage = footer + 8 + 32;
    for (long off : new long[] {0, 10, footer, footer + 1000L, -5, 1L << 62}) {
      byte[] f = LZ4.file().clone();
      putLongLe(f, firstPage, off);
      Snapshots.resealFooter(f);
      expectOpenFails(CorruptSnapshotException.class, f);
    }
    byte[] f = LZ4.file().clone();
    putIntLe(f, footer, 0x12345678); // magic
    Snapshots.resealFooter(f);
    expectOpenFails(CorruptSnapshotException.class, f);
  }

  @Test
  void pageOffsetPointingAtAnotherPageIsCorruptionOnRead() throws IOException {
    int footer = (int) LZ4.trailer().footerOffset();
    byte[] f = LZ4.file().clone();
    // Stream 0's page 0 entry now points at stream 0's page 1.
    putLongLe(f, footer + 8 + 32, LZ4.pageOffset(0, 1));
    Snapshots.resealFooter(f);
    try (Snapshot snap = Snapshots.open(f, NAME)) {
      CorruptSnapshotException e =
          assertThrows(CorruptSnapshotException.class, () -> snap.stream(0).entry(0));
      assertTrue(e.getMessage().contains("belongs elsewhere"), e.getMessage());
      assertArrayEquals(
          Arrays.copyOfRange(PRIMARY, 4 * 4096, 5 * 4096), readBlock(snap.stream(0), 4));
    }
  }

  /** What an index entry is made to say, with the page checksum fixed up so the checks run. */
  enum EntryLie {
    HUGE_STORED_LENGTH,
    NEGATIVE_STORED_LENGTH,
    OFFSET_PETABYTES_AWAY,
    OFFSET_INSIDE_HEADER,
    OFFSET_RUNS_INTO_FOOTER,
    UNKNOWN_KIND,
    PARENT_WITHOUT_PARENT,
    ZERO_WITH_DATA,
    RAW_WITH_WRONG_LENGTH,
    WRONG_CRC
  }

  @ParameterizedTest
  @EnumSource(EntryLie.class)
  void lyingIndexEntryFailsItsBlockOnly(EntryLie lie) throws IOException {
    Snapshots.Written w = LZ4;
    long block = 4; // text: a COMPRESSED block, first entry of page 1
    BlockEntry e = w.page(0, 1).entry(0);
    assertEquals(BlockKind.COMPRESSED, e.kind());
    byte[] f = w.file().clone();
    int pageOff = (int) w.pageOffset(0, 1);
    int at = pageOff + IndexPage.HEADER_LENGTH;
    int footer = (int) w.trailer().footerOffset();
    switch (lie) {
      case HUGE_STORED_LENGTH -> putIntLe(f, at + 4, Integer.MAX_VALUE);
      case NEGATIVE_STORED_LENGTH -> putIntLe(f, at + 4, -4096);
      case OFFSET_PETABYTES_AWAY -> putLongLe(f, at + 8, 1L << 52);
      case OFFSET_INSIDE_HEADER -> putLongLe(f, at + 8, 3);
      case OFFSET_RUNS_INTO_FOOTER -> putLongLe(f, at + 8, footer - e.storedLength() + 1);
      case UNKNOWN_KIND -> f[at] = 9;
      case PARENT_WITHOUT_PARENT -> {
        f[at] = (byte) BlockKind.PARENT.id();
        putIntLe(f, at + 4, 0);
        putLongLe(f, at + 8, 0);
      }
      case ZERO_WITH_DATA -> f[at] = (byte) BlockKind.ZERO.id();
      case RAW_WITH_WRONG_LENGTH -> f[at] = (byte) BlockKind.RAW.id();
      case WRONG_CRC -> putIntLe(f, at + 16, e.storedCrc() + 1);
    }
    Snapshots.resealPage(f, pageOff, w.pageEntries(0, 1));
    boolean failsWholePage =
        switch (lie) {
          case PARENT_WITHOUT_PARENT, RAW_WITH_WRONG_LENGTH, WRONG_CRC -> false;
          default -> true; // the page itself does not parse
        };
    try (Snapshot snap = Snapshots.open(f, NAME)) {
      StreamReader s = snap.stream(0);
      CorruptSnapshotException ex =
          assertThrows(CorruptSnapshotException.class, () -> readBlock(s, block));
      assertEquals(Fixture.PRIMARY, ex.stream());
      assertEquals(block, ex.block(), ex.getMessage());
      assertTrue(ex.getMessage().startsWith(NAME + ": "), ex.getMessage());
      for (long b = 0; b < s.blockCount(); b++) {
        if (b == block || (failsWholePage && b / 4 == 1)) {
          continue;
        }
        int from = (int) b * 4096;
        assertArrayEquals(
            Arrays.copyOfRange(PRIMARY, from, from + s.blockLength(b)), readBlock(s, b));
      }
    }
  }

  @ParameterizedTest
  @EnumSource(value = CodecType.class)
  void garbageBehindAValidChecksumIsCorruptionNotACrash(CodecType codec) throws IOException {
    Snapshots.Written w = Fixture.write(codec);
    long block = 4;
    BlockEntry e = w.page(0, 1).entry(0);
    assertTrue(e.kind().hasData());
    int pageOff = (int) w.pageOffset(0, 1);
    int at = pageOff + IndexPage.HEADER_LENGTH;
    Random r = new Random(5);
    for (int trial = 0; trial < 40; trial++) {
      byte[] f = w.file().clone();
      int stored = e.storedLength();
      if (trial % 4 == 1) {
        stored = 1 + r.nextInt(stored); // shorter garbage
      }
      byte[] garbage = new byte[stored];
      r.nextBytes(garbage);
      if (trial % 4 == 2) {
        // A plausible start: keep the real first bytes (frame header), garble the rest.
        System.arraycopy(f, (int) e.offset(), garbage, 0, Math.min(8, stored));
      }
      System.arraycopy(garbage, 0, f, (int) e.offset(), stored);
      f[at] = (byte) BlockKind.COMPRESSED.id();
      putIntLe(f, at + 4, stored);
      putIntLe(f, at + 16, Snapshots.crc(f, (int) e.offset(), (int) e.offset() + stored));
      Snapshots.resealPage(f, pageOff, w.pageEntries(0, 1));
      try (Snapshot snap = Snapshots.open(f, NAME)) {
        StreamReader s = snap.stream(0);
        byte[] got;
        try {
          got = readBlock(s, block);
        } catch (CorruptSnapshotException ex) {
          assertEquals(block, ex.block());
          assertEquals(Fixture.PRIMARY, ex.stream());
          assertInstanceOf(MalformedBlockException.class, ex.getCause(), ex.getMessage());
          continue;
        }
        // Garbage that happens to decode must at least have the block's length.
        assertEquals(4096, got.length);
      }
    }
  }

  /** Compressed data of the wrong logical length, behind a valid checksum. */
  @ParameterizedTest
  @ValueSource(ints = {1, 100, 4095, 4097, 8192, 1 << 16})
  void blockDecompressingToTheWrongLengthIsCorruption(int logical) throws IOException {
    for (CodecType codec : List.of(CodecType.LZ4, CodecType.ZSTD)) {
      Snapshots.Written w = Fixture.write(codec);
      BlockEntry e = w.page(0, 1).entry(0);
      byte[] payload = compress(codec, new byte[logical]); // zeros compress to a few bytes
      assertTrue(payload.length < e.storedLength(), "fits in place");
      byte[] f = w.file().clone();
      System.arraycopy(payload, 0, f, (int) e.offset(), payload.length);
      int pageOff = (int) w.pageOffset(0, 1);
      int at = pageOff + IndexPage.HEADER_LENGTH;
      putIntLe(f, at + 4, payload.length);
      putIntLe(f, at + 16, Snapshots.crc(f, (int) e.offset(), (int) e.offset() + payload.length));
      Snapshots.resealPage(f, pageOff, w.pageEntries(0, 1));
      try (Snapshot snap = Snapshots.open(f, NAME)) {
        for (boolean direct : new boolean[] {true, false}) {
          ByteBuffer dst = direct ? ByteBuffer.allocateDirect(4096) : ByteBuffer.allocate(4096);
          CorruptSnapshotException ex =
              assertThrows(
                  CorruptSnapshotException.class,
                  () -> snap.stream(0).read(4 * 4096, dst),
                  codec + " " + logical);
          assertEquals(4, ex.block());
        }
        assertArrayEquals(
            Arrays.copyOfRange(PRIMARY, 5 * 4096, 6 * 4096), readBlock(snap.stream(0), 5));
      }
    }
  }

  // ----- a zstd dictionary behind a valid header checksum -----

  static byte[] withDictionary(byte[] dict) {
    return Snapshots.writeWithDictionary(
        Fixture.options(CodecType.ZSTD), List.of(Fixture.PRIMARY), dict, PRIMARY);
  }

  @Test
  void rawContentDictionaryIsAcceptedAndReadsCorrectly() throws IOException {
    byte[] f = withDictionary(TestData.text(300, 1));
    try (Snapshot snap = Snapshots.open(f, NAME)) {
      assertEquals(300, snap.header().dictionaryLength());
      assertArrayEquals(PRIMARY, Snapshots.readAll(snap.stream(0)));
    }
  }

  @Test
  void malformedZstdDictionaryIsCorruptionNotARuntimeException() {
    byte[] dict = new byte[200];
    new Random(1).nextBytes(dict);
    // The zstd dictionary magic, so zstd parses the rest as entropy tables, and fails.
    dict[0] = 0x37;
    dict[1] = (byte) 0xA4;
    dict[2] = 0x30;
    dict[3] = (byte) 0xEC;
    byte[] f = withDictionary(dict);
    Executable openAndRead =
        () -> {
          try (Snapshot snap = Snapshots.open(f, NAME)) {
            Snapshots.readAll(snap.stream(0));
          }
        };
    CorruptSnapshotException e = assertThrows(CorruptSnapshotException.class, openAndRead);
    assertTrue(e.getMessage().startsWith(NAME + ": "), e.getMessage());
    assertTrue(e.getMessage().contains("dictionary"), e.getMessage());
  }

  @Test
  void dictionaryWithAWrongChecksumIsCorruption() {
    byte[] f = withDictionary(TestData.text(300, 1));
    f[Snapshots.getIntLe(f, 12) + 50] ^= 1; // inside the dictionary
    expectOpenFails(CorruptSnapshotException.class, f);
  }

  // ----- text from the file in messages -----

  /** Found by fuzzing: a stream name from the file put a newline into the "one line" message. */
  @Test
  void invalidStreamNameWithControlCharactersStaysOnOneLine() {
    byte[] f = LZ4.file().clone();
    // Stream 0's name "disk.img" at 122..129 becomes "di/\n\x1b[2J" (invalid: it has a slash).
    byte[] evil = {'d', 'i', '/', '\n', 0x1b, '[', '2', 'J'};
    System.arraycopy(evil, 0, f, 122, evil.length);
    Snapshots.resealHeader(f);
    UnsupportedSnapshotException e = expectOpenFails(UnsupportedSnapshotException.class, f);
    assertTrue(
        e.getMessage().contains("stream name 0 'di/\\x0a\\x1b[2J' cannot be a file name"),
        e.getMessage());
    assertFalse(e.getMessage().contains("\u001b"), "no escape character reaches a terminal");
  }

  @Test
  void streamNamesWithControlCharactersAreRefusedByTheWriter() {
    String name = "evil\n\u001b]0;title\u0007\u009b2J";
    assertFalse(Header.isValidStreamName(name));
    assertThrows(
        IllegalArgumentException.class,
        () -> Snapshots.write(Fixture.options(CodecType.LZ4), List.of(name), PRIMARY));
  }

  // ----- helpers -----

  @Test
  void failedOpenClosesTheSource() {
    MemoryByteSource src = new MemoryByteSource(new byte[100], NAME);
    assertThrows(NotASnapshotException.class, () -> Snapshots.open(src, 1 << 20));
    assertTrue(src.isClosed());
  }

  static <T extends CairnException> T expectOpenFails(Class<T> type, byte[] file) {
    MemoryByteSource src = new MemoryByteSource(file, NAME);
    T e =
        assertThrows(
            type,
            () -> {
              // Open, and if that works, read: the damage must show up one way or the other.
              try (Snapshot snap = Snapshots.open(src, 1 << 20)) {
                for (StreamReader s : snap.streams()) {
                  Snapshots.readAll(s);
                }
              }
            });
    assertTrue(e.getMessage().startsWith(NAME + ": "), e.getMessage());
    assertFalse(e.getMessage().contains("\n"), e.getMessage());
    assertTrue(src.isClosed(), "source closed");
    return e;
  }

  static byte[] readBlock(StreamReader s, long block) throws IOException {
    ByteBuffer b = ByteBuffer.allocate(s.blockLength(block));
    s.read(block * s.blockSize(), b);
    return b.array();
  }

  static byte[] compress(CodecType type, byte[] data) {
    Codec c = Codec.of(type);
    try (Compressor comp = c.newCompressor(type.defaultLevel(), null)) {
      ByteBuffer src = ByteBuffer.allocateDirect(data.length).put(data).flip();
      ByteBuffer dst = ByteBuffer.allocateDirect(c.maxCompressedLength(data.length));
      int n = comp.compress(src, dst);
      assertTrue(n > 0);
      byte[] out = new byte[n];
      dst.flip().get(out);
      return out;
    }
  }
}
