package dev.cairn.format;

import dev.cairn.error.CorruptSnapshotException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;

/**
 * The input layouts of the structured fuzz targets in {@link FormatFuzzTest}: a short prefix with
 * what the caller of a parser already knows, then the bytes to parse. Shared by the targets, the
 * seed generator and the test that checks the committed seeds.
 */
public final class FormatSeeds {
  private FormatSeeds() {}

  /**
   * Footer input.
   *
   * <pre>
   *  0  1  bit 0: two streams instead of one
   *  1  1  block size log2 = 12 + (byte % 9)
   *  2  2  entries per page - 1 (little-endian)
   *  4  8  data start (little-endian)
   * 12  8  footer offset (little-endian)
   * 20  …  footer bytes
   * </pre>
   */
  public record FooterInput(Header header, long dataStart, long footerOffset, ByteBuffer footer) {
    public static final int PREFIX = 20;

    /** Null if the input is shorter than the prefix. */
    public static FooterInput decode(byte[] data) {
      if (data.length < PREFIX) {
        return null;
      }
      ByteBuffer p = ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
      int streams = 1 + (data[0] & 1);
      int log2 = 12 + Byte.toUnsignedInt(data[1]) % 9;
      int perPage = 1 + Short.toUnsignedInt(p.getShort(2));
      return new FooterInput(
          FormatSeeds.header(streams, log2, perPage),
          p.getLong(4),
          p.getLong(12),
          ByteBuffer.wrap(data, PREFIX, data.length - PREFIX));
    }

    public Footer parse(String source) throws CorruptSnapshotException {
      return Footer.parse(footer.duplicate(), header, dataStart, footerOffset, source);
    }

    public static byte[] encode(Header h, long dataStart, long footerOffset, ByteBuffer footer) {
      ByteBuffer b =
          ByteBuffer.allocate(PREFIX + footer.remaining()).order(ByteOrder.LITTLE_ENDIAN);
      b.put((byte) (h.streamNames().size() - 1));
      b.put((byte) (h.blockSizeLog2() - 12));
      b.putShort((short) (h.entriesPerPage() - 1));
      b.putLong(dataStart);
      b.putLong(footerOffset);
      b.put(footer.duplicate());
      return b.array();
    }
  }

  /**
   * Index page input.
   *
   * <pre>
   *  0  1  bit 0: stream index
   *  1  8  first block (little-endian, sign bit cleared)
   *  9  2  entry count - 1 (little-endian)
   * 11  8  data start (little-endian)
   * 19  8  data end (little-endian)
   * 27  4  largest stored length (little-endian, sign bit cleared, at least 1)
   * 31  …  page bytes
   * </pre>
   */
  public record PageInput(
      int stream,
      long firstBlock,
      int count,
      long dataStart,
      long dataEnd,
      int maxStored,
      ByteBuffer page) {
    public static final int PREFIX = 31;

    /** Null if the input is shorter than the prefix. */
    public static PageInput decode(byte[] data) {
      if (data.length < PREFIX) {
        return null;
      }
      ByteBuffer p = ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
      return new PageInput(
          data[0] & 1,
          p.getLong(1) & Long.MAX_VALUE,
          1 + Short.toUnsignedInt(p.getShort(9)),
          p.getLong(11),
          p.getLong(19),
          Math.max(1, p.getInt(27) & Integer.MAX_VALUE),
          ByteBuffer.wrap(data, PREFIX, data.length - PREFIX));
    }

    public IndexPage parse(String source) throws CorruptSnapshotException {
      return IndexPage.parse(
          page.duplicate(), stream, firstBlock, count, dataStart, dataEnd, maxStored, source, "s");
    }

    public static byte[] encode(
        int stream,
        long firstBlock,
        int count,
        long dataStart,
        long dataEnd,
        int maxStored,
        ByteBuffer page) {
      ByteBuffer b = ByteBuffer.allocate(PREFIX + page.remaining()).order(ByteOrder.LITTLE_ENDIAN);
      b.put((byte) stream);
      b.putLong(firstBlock);
      b.putShort((short) (count - 1));
      b.putLong(dataStart);
      b.putLong(dataEnd);
      b.putInt(maxStored);
      b.put(page.duplicate());
      return b.array();
    }
  }

  public static Footer parseFooterSeed(byte[] data) throws CorruptSnapshotException {
    return FooterInput.decode(data).parse("seed");
  }

  public static IndexPage parsePageSeed(byte[] data) throws CorruptSnapshotException {
    return PageInput.decode(data).parse("seed");
  }

  static Header header(int streams, int log2, int perPage) {
    return new Header(
        Header.MINOR_VERSION,
        new SnapshotId(1, 2),
        0,
        log2,
        CodecType.LZ4,
        0,
        HashAlgorithm.XXH3_128,
        perPage,
        0,
        0,
        streams == 1 ? List.of("a") : List.of("a", "b"),
        SnapshotId.NONE,
        "",
        Encryption.NONE);
  }
}
