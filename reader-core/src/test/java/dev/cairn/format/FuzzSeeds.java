package dev.cairn.format;

import dev.cairn.crypto.KeyDerivation;
import dev.cairn.testing.ArrayBlockFeed;
import dev.cairn.testing.FuzzSeedContent;
import dev.cairn.testing.MemoryChannel;
import dev.cairn.testing.Snapshots;
import dev.cairn.testing.TestData;
import dev.cairn.write.BlockFeed;
import dev.cairn.write.SnapshotWriter;
import dev.cairn.write.WriterOptions;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Writes the seed inputs of the fuzz targets into {@code src/test/resources}, where Jazzer's
 * regression mode (plain {@code mvn test}) runs them and fuzzing mode starts from them. The seeds
 * are committed; rerun this only to refresh them after a format change:
 *
 * <pre>
 * mvn -pl reader-core test -Dtest=FuzzSeeds -Dcairn.fuzzseeds.write=true -Dsurefire.failIfNoSpecifiedTests=false
 * </pre>
 *
 * <p>Snapshot ids and creation times are random, so regenerated seeds differ byte-wise from the
 * committed ones; that does not matter for seeds.
 */
class FuzzSeeds {
  static final Path RESOURCES =
      Path.of(System.getProperty("basedir", ".")).resolve("src/test/resources");

  @Test
  @EnabledIfSystemProperty(named = "cairn.fuzzseeds.write", matches = "true")
  void write() throws IOException {
    byte[] text = FuzzSeedContent.TEXT;
    byte[] mixed = FuzzSeedContent.MIXED;
    WriterOptions base =
        WriterOptions.defaults().withBlockSizeLog2(12).withEntriesPerPage(2).withThreads(1);

    Snapshots.Written lz4 =
        Snapshots.write(
            base.withCodec(CodecType.LZ4, 0), List.of("disk.img", "notes.txt"), mixed, text);
    Snapshots.Written zstd =
        Snapshots.write(base.withCodec(CodecType.ZSTD, 3), List.of("model.bin"), mixed);
    Snapshots.Written none =
        Snapshots.write(base.withCodec(CodecType.NONE, 0), List.of("raw"), FuzzSeedContent.RAW);
    Snapshots.Written empty =
        Snapshots.write(base, List.of("empty", "also empty"), new byte[0], new byte[0]);
    Snapshots.Written onePage = Snapshots.write(base.withEntriesPerPage(1024), List.of("x"), mixed);
    byte[] withDict =
        Snapshots.writeWithDictionary(
            base.withCodec(CodecType.ZSTD, 3), List.of("dict.bin"), TestData.text(200, 3), text);
    byte[] thin = thinSnapshot(base, text);
    byte[] encryptedHeader = encryptedHeader(lz4.header());

    // Class level: both SnapshotFuzzTest targets start from these.
    Path open = dir("dev/cairn/read/SnapshotFuzzTestInputs");
    put(open, "lz4-two-streams", lz4.file());
    put(open, "zstd-mixed", zstd.file());
    put(open, "none-raw", none.file());
    put(open, "empty-streams", empty.file());
    put(open, "one-page", onePage.file());
    put(open, "zstd-dictionary", withDict);
    put(open, "thin-with-parent-blocks", thin);
    put(open, "truncated", Arrays.copyOf(lz4.file(), lz4.file().length - 20));
    put(open, "lz4-damaged-block", damagedRawBlock(lz4));

    Path header = dir("dev/cairn/format/FormatFuzzTestInputs/headerParse");
    put(header, "lz4-header", Arrays.copyOf(lz4.file(), lz4.headerLength()));
    put(header, "whole-file", zstd.file());
    put(header, "dictionary-header", Arrays.copyOf(withDict, Snapshots.getIntLe(withDict, 12)));
    put(header, "thin-header", Arrays.copyOf(thin, Snapshots.getIntLe(thin, 12)));
    put(header, "encrypted-header", encryptedHeader);

    Path peek = dir("dev/cairn/format/FormatFuzzTestInputs/headerPeekLength");
    put(peek, "v1", Arrays.copyOf(lz4.file(), 16));
    byte[] v2 = Arrays.copyOf(lz4.file(), 16);
    v2[8] = 2;
    put(peek, "v2", v2);

    Path trailer = dir("dev/cairn/format/FormatFuzzTestInputs/trailerParse");
    put(trailer, "lz4-file", lz4.file());
    put(trailer, "empty-streams-file", empty.file());

    Path footer = dir("dev/cairn/format/FormatFuzzTestInputs/footerParse");
    put(footer, "two-streams", footerSeed(lz4));
    put(footer, "one-stream-many-pages", footerSeed(zstd));
    put(footer, "empty-streams", footerSeed(empty));

    Path page = dir("dev/cairn/format/FormatFuzzTestInputs/indexPageParse");
    put(page, "lz4-page0", pageSeed(lz4, 0, 0));
    put(
        page,
        "lz4-last-page",
        pageSeed(lz4, 0, lz4.footer().streams().get(0).pageOffsets().length - 1));
    put(page, "lz4-secondary-page1", pageSeed(lz4, 1, 1));
    put(page, "one-page-of-7", pageSeed(onePage, 0, 0));
  }

  /**
   * The first raw block of stream 0 with one stored byte flipped and its CRC left as it was: only
   * the CRC check stands between that byte and a reader (raw blocks are not decompressed).
   */
  static byte[] damagedRawBlock(Snapshots.Written w) {
    byte[] f = w.file().clone();
    int perPage = w.header().entriesPerPage();
    for (long b = 0; b < w.footer().streams().get(0).blockCount(); b++) {
      BlockEntry e = w.page(0, (int) (b / perPage)).entry((int) (b % perPage));
      if (e.kind() == BlockKind.RAW) {
        f[(int) e.offset() + e.storedLength() / 2] ^= 0x01;
        return f;
      }
    }
    throw new AssertionError("no raw block in stream 0");
  }

  /** A thin snapshot: every other block is inherited from a (missing) parent. */
  static byte[] thinSnapshot(WriterOptions base, byte[] data) throws IOException {
    WriterOptions opts = base.withParent(new SnapshotId(7, 7), "../parent.cairn");
    MemoryChannel ch = new MemoryChannel();
    try (SnapshotWriter w = SnapshotWriter.start(ch, opts, List.of("child.img"))) {
      ArrayBlockFeed plain = new ArrayBlockFeed(data, 4096);
      BlockFeed feed =
          new BlockFeed() {
            @Override
            public long size() {
              return data.length;
            }

            @Override
            public BlockEntry read(long block, ByteBuffer dst) {
              if (block % 2 == 1) {
                return new BlockEntry(BlockKind.COMPRESSED, 10, 1000, 5, new byte[16]);
              }
              return plain.read(block, dst);
            }
          };
      w.writeStream(feed, d -> {});
      w.finish();
    }
    return ch.toByteArray();
  }

  static byte[] encryptedHeader(Header h) {
    byte[] salt = new byte[16];
    byte[] check = new byte[16];
    Arrays.fill(salt, (byte) 0x5A);
    Arrays.fill(check, (byte) 0xC3);
    Header e =
        new Header(
            Header.MINOR_VERSION,
            h.snapshotId(),
            h.createdMillis(),
            h.blockSizeLog2(),
            h.codec(),
            h.codecLevel(),
            h.contentHash(),
            h.entriesPerPage(),
            0,
            0,
            h.streamNames(),
            h.parentId(),
            h.parentPathHint(),
            new Encryption(
                Encryption.CIPHER_AES_256_GCM, new KeyDerivation.Argon2id(16, 3, 1, salt), check));
    return e.encode().array();
  }

  static byte[] footerSeed(Snapshots.Written w) {
    Trailer t = w.trailer();
    return FormatSeeds.FooterInput.encode(
        w.header(),
        w.headerLength(),
        t.footerOffset(),
        ByteBuffer.wrap(w.file(), (int) t.footerOffset(), t.footerLength()));
  }

  static byte[] pageSeed(Snapshots.Written w, int stream, int page) {
    int entries = w.pageEntries(stream, page);
    return FormatSeeds.PageInput.encode(
        stream,
        (long) page * w.header().entriesPerPage(),
        entries,
        w.headerLength(),
        w.trailer().footerOffset(),
        Math.max(w.header().blockSize(), 4096 + 4096 / 255 + 16),
        ByteBuffer.wrap(
            w.file(), (int) w.pageOffset(stream, page), IndexPage.encodedLength(entries)));
  }

  static Path dir(String relative) throws IOException {
    return Files.createDirectories(RESOURCES.resolve(relative));
  }

  static void put(Path dir, String name, byte[] content) throws IOException {
    Files.write(dir.resolve(name), content);
  }
}
