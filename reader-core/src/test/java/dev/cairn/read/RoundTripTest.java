package dev.cairn.read;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cairn.format.BlockEntry;
import dev.cairn.format.BlockKind;
import dev.cairn.format.CodecType;
import dev.cairn.format.Encryption;
import dev.cairn.format.Footer;
import dev.cairn.format.HashAlgorithm;
import dev.cairn.format.Header;
import dev.cairn.format.SnapshotId;
import dev.cairn.testing.MemoryChannel;
import dev.cairn.testing.Snapshots;
import dev.cairn.testing.TestData;
import dev.cairn.testing.TestData.Kind;
import dev.cairn.write.SnapshotWriter;
import dev.cairn.write.WriterOptions;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Property-style round trips through the one writer and the one reader: every codec and level
 * class, every block size class, the sizes where off-by-one errors live, and every kind of content.
 * Inputs are generated from fixed seeds, so a failure reproduces.
 */
class RoundTripTest {

  /** A codec and level; NONE, LZ4 fast and HC, ZSTD fast, default, high and negative. */
  record CodecCase(CodecType type, int level) {
    @Override
    public String toString() {
      return type.displayName() + "/" + level;
    }
  }

  static final List<CodecCase> CODECS =
      List.of(
          new CodecCase(CodecType.NONE, 0),
          new CodecCase(CodecType.LZ4, 0),
          new CodecCase(CodecType.LZ4, 9),
          new CodecCase(CodecType.ZSTD, 1),
          new CodecCase(CodecType.ZSTD, 3),
          new CodecCase(CodecType.ZSTD, 19),
          new CodecCase(CodecType.ZSTD, -5));

  /** Sizes relative to the block size. */
  enum SizeCase {
    EMPTY,
    ONE_BYTE,
    BLOCK_MINUS_ONE,
    ONE_BLOCK,
    BLOCK_PLUS_ONE,
    NOT_A_MULTIPLE,
    MANY_PAGES;

    int size(int bs) {
      return switch (this) {
        case EMPTY -> 0;
        case ONE_BYTE -> 1;
        case BLOCK_MINUS_ONE -> bs - 1;
        case ONE_BLOCK -> bs;
        case BLOCK_PLUS_ONE -> bs + 1;
        case NOT_A_MULTIPLE -> 2 * bs + bs / 3 + 5;
        case MANY_PAGES -> 4 * bs + 77;
      };
    }

    /** Two entries per page for MANY_PAGES (5 blocks: 3 pages, the last one short). */
    int entriesPerPage() {
      return this == MANY_PAGES ? 2 : WriterOptions.DEFAULT_ENTRIES_PER_PAGE;
    }
  }

  static WriterOptions options(CodecCase c, int log2, int perPage) {
    return WriterOptions.defaults()
        .withCodec(c.type(), c.level())
        .withBlockSizeLog2(log2)
        .withEntriesPerPage(perPage)
        .withThreads(2);
  }

  static Stream<Arguments> codecsBlockSizesAndSizes() {
    List<Arguments> out = new ArrayList<>();
    for (CodecCase c : CODECS) {
      for (int log2 : new int[] {12, 16, 20}) {
        for (SizeCase s : SizeCase.values()) {
          out.add(Arguments.of(c, log2, s));
        }
      }
    }
    return out.stream();
  }

  @ParameterizedTest(name = "{0} bs=2^{1} {2}")
  @MethodSource("codecsBlockSizesAndSizes")
  void mixedContentRoundTrips(CodecCase codec, int log2, SizeCase sizeCase) throws IOException {
    int bs = 1 << log2;
    int size = sizeCase.size(bs);
    byte[] data = TestData.generate(Kind.MIXED, size, bs, 1000L * log2 + sizeCase.ordinal());
    WriterOptions opts = options(codec, log2, sizeCase.entriesPerPage());
    Snapshots.Written w = Snapshots.write(opts, List.of("disk.img"), data);

    try (Snapshot snap = Snapshots.open(w.file(), "mem:mixed.cairn")) {
      checkHeader(snap.header(), opts, List.of("disk.img"));
      assertEquals(w.header(), snap.header(), "header read back equals header written");
      StreamReader s = snap.stream(0);
      checkStream(s, data, codec.type());
      checkFooter(snap.footer().streams().get(0), data.length, bs, sizeCase.entriesPerPage());
      assertArrayEquals(data, Snapshots.readAll(s));
      Snapshots.checkRandomReads(s, data, 80, size + log2);
      checkPastEnd(s);
    }
  }

  static Stream<Arguments> kindsAndCodecs() {
    List<Arguments> out = new ArrayList<>();
    for (Kind k : Kind.values()) {
      for (CodecCase c : CODECS) {
        out.add(Arguments.of(k, c));
      }
    }
    return out.stream();
  }

  /** Each content kind on its own, at 64 KiB blocks over 4 index pages, with its block kinds. */
  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("kindsAndCodecs")
  void eachContentKindRoundTripsWithTheRightBlockKinds(Kind kind, CodecCase codec)
      throws IOException {
    int bs = 1 << 16;
    int size = 10 * bs + 4321;
    byte[] data = TestData.generate(kind, size, bs, kind.ordinal() * 31L + 7);
    WriterOptions opts = options(codec, 16, 3);
    Snapshots.Written w = Snapshots.write(opts, List.of("data.bin"), data);
    try (Snapshot snap = Snapshots.open(w.file(), "mem:kind.cairn")) {
      StreamReader s = snap.stream(0);
      List<BlockKind> kinds = checkStream(s, data, codec.type());
      assertEquals(4, snap.footer().streams().get(0).pageOffsets().length, "11 blocks, 3 a page");
      assertArrayEquals(data, Snapshots.readAll(s));
      Snapshots.checkRandomReads(s, data, 60, 99);
      switch (kind) {
        case RANDOM ->
            assertTrue(kinds.stream().allMatch(k -> k == BlockKind.RAW), kinds::toString);
        case ZEROS -> {
          assertTrue(kinds.stream().allMatch(k -> k == BlockKind.ZERO), kinds::toString);
          assertEquals(0, snap.footer().streams().get(0).storedBytes());
          assertTrue(w.file().length < 2048, "all-zero stream takes only index space");
        }
        case TEXT ->
            assertTrue(
                kinds.stream()
                    .allMatch(
                        k ->
                            k
                                == (codec.type() == CodecType.NONE
                                    ? BlockKind.RAW
                                    : BlockKind.COMPRESSED)),
                kinds::toString);
        case SPARSE -> {
          assertTrue(kinds.contains(BlockKind.ZERO), kinds::toString);
          assertTrue(kinds.stream().anyMatch(BlockKind::hasData), kinds::toString);
        }
        case MIXED -> {
          // Runs ignore block boundaries, so which data blocks still compress depends on the
          // mix; checkStream has already checked each block's kind against its content.
          assertTrue(kinds.contains(BlockKind.ZERO), kinds::toString);
          assertTrue(kinds.stream().anyMatch(BlockKind::hasData), kinds::toString);
        }
      }
    }
  }

  @ParameterizedTest(name = "primary {0} bytes, secondary {1} bytes")
  @MethodSource("twoStreamSizes")
  void twoStreamsRoundTripWithTheirNames(int primarySize, int secondarySize) throws IOException {
    byte[] primary = TestData.generate(Kind.MIXED, primarySize, 4096, 5);
    byte[] secondary = TestData.generate(Kind.TEXT, secondarySize, 4096, 6);
    WriterOptions opts = options(new CodecCase(CodecType.ZSTD, 3), 12, 4);
    Snapshots.Written w =
        Snapshots.write(opts, List.of("disk.img", "notes.txt"), primary, secondary);
    try (Snapshot snap = Snapshots.open(w.file(), "mem:two.cairn")) {
      assertEquals(List.of("disk.img", "notes.txt"), snap.header().streamNames());
      assertEquals(2, snap.streams().size());
      StreamReader p = snap.stream(0);
      StreamReader s = snap.stream(1);
      assertEquals("disk.img", p.name());
      assertEquals("notes.txt", s.name());
      assertEquals(0, p.index());
      assertEquals(1, s.index());
      checkStream(p, primary, CodecType.ZSTD);
      checkStream(s, secondary, CodecType.ZSTD);
      assertArrayEquals(primary, Snapshots.readAll(p));
      assertArrayEquals(secondary, Snapshots.readAll(s));
      Snapshots.checkRandomReads(p, primary, 40, 1);
      Snapshots.checkRandomReads(s, secondary, 40, 2);
      checkPastEnd(p);
      checkPastEnd(s);
    }
  }

  static Stream<Arguments> twoStreamSizes() {
    return Stream.of(
        Arguments.of(50_000, 700),
        Arguments.of(0, 9000),
        Arguments.of(9000, 0),
        Arguments.of(0, 0),
        Arguments.of(4096 * 9, 4096 * 4 + 1));
  }

  @Test
  void headerFieldsSurvive() throws IOException {
    SnapshotId parent = SnapshotId.random();
    WriterOptions opts =
        WriterOptions.defaults()
            .withCodec(CodecType.ZSTD, -7)
            .withBlockSizeLog2(13)
            .withEntriesPerPage(77)
            .withThreads(1)
            .withParent(parent, "../base/parent snapshot.cairn");
    String name1 = "диск ☃ image.raw";
    String name2 = "x".repeat(Header.MAX_NAME_BYTES);
    long before = System.currentTimeMillis();
    Snapshots.Written w =
        Snapshots.write(opts, List.of(name1, name2), new byte[100], new byte[] {1});
    long after = System.currentTimeMillis();
    try (Snapshot snap = Snapshots.open(w.file(), "mem:fields.cairn")) {
      Header h = snap.header();
      assertEquals(Header.MINOR_VERSION, h.minorVersion());
      assertEquals(2, h.minorVersion());
      assertEquals(HashAlgorithm.XXH3_128, h.contentHash());
      assertEquals(List.of(name1, name2), h.streamNames());
      assertEquals(CodecType.ZSTD, h.codec());
      assertEquals(-7, h.codecLevel());
      assertEquals(13, h.blockSizeLog2());
      assertEquals(8192, h.blockSize());
      assertEquals(77, h.entriesPerPage());
      assertEquals(parent, h.parentId());
      assertTrue(h.hasParent());
      assertEquals("../base/parent snapshot.cairn", h.parentPathHint());
      assertEquals(Encryption.NONE, h.encryption());
      assertEquals(0, h.dictionaryLength());
      assertFalse(h.snapshotId().isNone());
      assertTrue(h.createdMillis() >= before && h.createdMillis() <= after, "creation time");
      assertEquals(w.trailer().snapshotId(), h.snapshotId());
      assertEquals(name1, snap.stream(0).name());
      assertEquals(name2, snap.stream(1).name());
    }
  }

  @Test
  void everySnapshotGetsItsOwnId() {
    WriterOptions opts = WriterOptions.defaults().withThreads(1);
    SnapshotId a = Snapshots.write(opts, List.of("a"), new byte[10]).header().snapshotId();
    SnapshotId b = Snapshots.write(opts, List.of("a"), new byte[10]).header().snapshotId();
    assertFalse(a.equals(b));
  }

  @ParameterizedTest
  @ValueSource(strings = {"", ".", "..", ".cairn", "a/b", "/", "nul\0byte"})
  void writerRejectsNamesThatCannotBeFiles(String name) {
    assertThrows(
        IllegalArgumentException.class,
        () -> SnapshotWriter.start(new MemoryChannel(), WriterOptions.defaults(), List.of(name)));
  }

  @Test
  void writerRejectsLongAndDuplicateNamesAndBadStreamCounts() {
    WriterOptions o = WriterOptions.defaults();
    String tooLong = "é".repeat(128); // 256 bytes of UTF-8
    assertEquals(256, tooLong.getBytes(StandardCharsets.UTF_8).length);
    assertThrows(
        IllegalArgumentException.class,
        () -> SnapshotWriter.start(new MemoryChannel(), o, List.of(tooLong)));
    assertThrows(
        IllegalArgumentException.class,
        () -> SnapshotWriter.start(new MemoryChannel(), o, List.of("same", "same")));
    assertThrows(
        IllegalArgumentException.class,
        () -> SnapshotWriter.start(new MemoryChannel(), o, List.of()));
    assertThrows(
        IllegalArgumentException.class,
        () -> SnapshotWriter.start(new MemoryChannel(), o, List.of("a", "b", "c")));
  }

  @Test
  void writerInsistsOnEveryStreamBeforeFinishing() throws IOException {
    WriterOptions o = WriterOptions.defaults().withThreads(1);
    try (SnapshotWriter w = SnapshotWriter.start(new MemoryChannel(), o, List.of("a", "b"))) {
      w.writeStream(new dev.cairn.testing.ArrayBlockFeed(new byte[5], o.blockSize()), d -> {});
      assertThrows(IllegalStateException.class, w::finish);
      w.writeStream(new dev.cairn.testing.ArrayBlockFeed(new byte[5], o.blockSize()), d -> {});
      assertThrows(
          IllegalStateException.class,
          () -> w.writeStream(new dev.cairn.testing.ArrayBlockFeed(new byte[5], 65536), d -> {}));
      w.finish();
    }
  }

  @Test
  void byteAtATimeChannelProducesTheSameFile() throws IOException {
    byte[] data = TestData.generate(Kind.MIXED, 30_000, 4096, 77);
    WriterOptions opts = WriterOptions.defaults().withBlockSizeLog2(12).withEntriesPerPage(3);
    MemoryChannel ch = new MemoryChannel(7);
    try (SnapshotWriter w = SnapshotWriter.start(ch, opts, List.of("x"))) {
      w.writeStream(new dev.cairn.testing.ArrayBlockFeed(data, 4096), d -> {});
      long size = w.finish().fileSize();
      assertEquals(size, ch.size());
    }
    try (Snapshot snap = Snapshots.open(ch.toByteArray(), "mem:short-writes")) {
      assertArrayEquals(data, Snapshots.readAll(snap.stream(0)));
    }
  }

  @Test
  void progressRisesBatchByBatchAndEndsAtTheSize() throws IOException {
    // 4 KiB blocks travel in batches of 256 (1 MiB): progress comes after each batch is written
    byte[] data = TestData.generate(Kind.MIXED, 3 * (1 << 20) + 3, 4096, 3);
    WriterOptions opts = WriterOptions.defaults().withBlockSizeLog2(12);
    List<Long> seen = new ArrayList<>();
    try (SnapshotWriter w = SnapshotWriter.start(new MemoryChannel(), opts, List.of("x"))) {
      w.writeStream(new dev.cairn.testing.ArrayBlockFeed(data, 4096), seen::add);
      w.finish();
    }
    assertEquals(List.of(1L << 20, 2L << 20, 3L << 20, (long) data.length), seen);
  }

  @Test
  void readsRejectNegativeOffsetsAndBlockIndexesOutOfRange() throws IOException {
    Snapshots.Written w = Snapshots.write(WriterOptions.defaults(), List.of("x"), new byte[70_000]);
    try (Snapshot snap = Snapshots.open(w.file(), "mem:x")) {
      StreamReader s = snap.stream(0);
      assertThrows(IllegalArgumentException.class, () -> s.read(-1, ByteBuffer.allocate(1)));
      assertThrows(IndexOutOfBoundsException.class, () -> s.entry(2));
      assertThrows(IndexOutOfBoundsException.class, () -> s.entry(-1));
      assertThrows(
          IndexOutOfBoundsException.class, () -> s.readBlock(2, ByteBuffer.allocate(1 << 16)));
      assertEquals(70_000 - 65536, s.blockLength(1));
    }
  }

  @Test
  void statsCountReadsBytesAndZeroBlocks() throws IOException {
    byte[] data = new byte[3 * 4096];
    System.arraycopy(TestData.text(4096, 1), 0, data, 0, 4096);
    Snapshots.Written w =
        Snapshots.write(WriterOptions.defaults().withBlockSizeLog2(12), List.of("x"), data);
    try (Snapshot snap = Snapshots.open(w.file(), "mem:x")) {
      StreamReader s = snap.stream(0);
      s.read(0, ByteBuffer.allocate(100)); // decoded in scratch, not cached
      s.read(100, ByteBuffer.allocate(100)); // read again soon: decoded into the cache
      s.read(200, ByteBuffer.allocate(100)); // cache hit
      s.read(4096, ByteBuffer.allocate(8192)); // two zero blocks
      ReadStatsSnapshot st = snap.stats().snapshot();
      assertEquals(4, st.reads());
      assertEquals(8492, st.bytesRead());
      assertEquals(2, st.blocksDecompressed());
      assertEquals(2L, st.zeroBlocks());
      assertEquals(1L, st.cacheHits());
      assertEquals(0, st.errors());
    }
  }

  // ----- checks -----

  static void checkHeader(Header h, WriterOptions o, List<String> names) {
    assertEquals(Header.MINOR_VERSION, h.minorVersion());
    assertEquals(names, h.streamNames());
    assertEquals(o.codec(), h.codec());
    assertEquals(o.level(), h.codecLevel());
    assertEquals(o.blockSizeLog2(), h.blockSizeLog2());
    assertEquals(o.entriesPerPage(), h.entriesPerPage());
    assertFalse(h.hasParent());
    assertEquals("", h.parentPathHint());
    assertFalse(h.encryption().enabled());
  }

  static void checkFooter(Footer.StreamLayout l, long size, int bs, int perPage) {
    long blocks = (size + bs - 1) / bs;
    assertEquals(size, l.size());
    assertEquals(blocks, l.blockCount());
    assertEquals((blocks + perPage - 1) / perPage, l.pageOffsets().length);
  }

  /**
   * Checks every block's entry against the input: kind, stored length, offset range, content hash;
   * reads every block whole into a direct buffer. Returns the kinds in block order.
   */
  static List<BlockKind> checkStream(StreamReader s, byte[] data, CodecType codec)
      throws IOException {
    int bs = s.blockSize();
    assertEquals(data.length, s.size());
    assertEquals((data.length + (long) bs - 1) / bs, s.blockCount());
    Snapshot snap = s.snapshot();
    long stored = 0;
    List<BlockKind> kinds = new ArrayList<>();
    ByteBuffer whole = ByteBuffer.allocateDirect(bs);
    for (long b = 0; b < s.blockCount(); b++) {
      int from = (int) (b * bs);
      int to = (int) Math.min(data.length, from + (long) bs);
      assertEquals(to - from, s.blockLength(b));
      BlockEntry e = s.entry(b);
      kinds.add(e.kind());
      assertArrayEquals(
          TestData.contentHash(data, from, to), e.contentHash(), "hash of block " + b);
      if (TestData.allZero(data, from, to)) {
        assertEquals(BlockKind.ZERO, e.kind(), "block " + b + " is all zeros");
        assertEquals(0, e.storedLength());
        assertEquals(0, e.offset());
      } else {
        assertTrue(e.kind().hasData(), "block " + b + " has data: " + e);
        assertTrue(
            e.offset() >= snap.dataStart() && e.offset() + e.storedLength() <= snap.dataEnd());
        if (codec == CodecType.NONE) {
          assertEquals(BlockKind.RAW, e.kind());
        }
        if (e.kind() == BlockKind.RAW) {
          assertEquals(to - from, e.storedLength());
        } else {
          assertTrue(e.storedLength() < to - from, "compressed block is smaller: " + e);
        }
      }
      stored += e.storedLength();
      whole.clear();
      s.readBlock(b, whole);
      assertEquals(to - from, whole.position());
      byte[] got = new byte[to - from];
      whole.flip().get(got);
      assertArrayEquals(java.util.Arrays.copyOfRange(data, from, to), got, "block " + b);
    }
    assertEquals(stored, snap.footer().streams().get(s.index()).storedBytes(), "stored bytes");
    return kinds;
  }

  static void checkPastEnd(StreamReader s) throws IOException {
    for (long off : new long[] {s.size(), s.size() + 1, s.size() + (1L << 40), Long.MAX_VALUE}) {
      ByteBuffer b = ByteBuffer.allocate(10);
      assertEquals(0, s.read(off, b), "read at " + off);
      assertEquals(0, b.position());
    }
    if (s.size() > 0) {
      assertEquals(0, s.read(0, ByteBuffer.allocate(0)), "empty destination");
      ByteBuffer b = ByteBuffer.allocate(100);
      assertEquals(1, s.read(s.size() - 1, b), "last byte only");
    }
  }
}
