package dev.cairn.format;

import dev.cairn.error.CorruptSnapshotException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * What a writer learns only at the end: each stream's size and where its index pages are. It sits
 * just before the {@link Trailer}, which carries its offset, length and checksum.
 *
 * <p>Layout (little-endian):
 *
 * <pre>
 *  0  4  magic "CFTR"
 *  4  4  stream count (equals the header's)
 *  then per stream:
 *     8  logical size in bytes
 *     8  block count (ceil(size / block size))
 *     8  stored data bytes (sum of the stream's stored block lengths)
 *     4  index page count (ceil(blocks / entries per page))
 *     4  reserved, zero
 *     8 × page count: file offset of each index page, in block order
 * </pre>
 *
 * <p>Immutable.
 */
public record Footer(List<StreamLayout> streams) {
  private static final int MAGIC = 0x52544643; // "CFTR"

  /**
   * One stream's footer entry. {@code pageOffsets} is not copied for speed; treat it as read-only.
   */
  public record StreamLayout(long size, long blockCount, long storedBytes, long[] pageOffsets) {}

  public Footer {
    streams = List.copyOf(streams);
  }

  /**
   * Parses and cross-checks the footer against the header and the file's geometry: block and page
   * counts must follow from the sizes, and every page must lie between the header and the footer.
   */
  public static Footer parse(
      ByteBuffer buf, Header header, long dataStart, long footerOffset, String source)
      throws CorruptSnapshotException {
    ByteBuffer b = buf.slice().order(ByteOrder.LITTLE_ENDIAN);
    try {
      if (b.getInt() != MAGIC) {
        throw new CorruptSnapshotException(source, "footer magic missing");
      }
      int count = b.getInt();
      if (count != header.streamNames().size()) {
        throw new CorruptSnapshotException(
            source, "footer lists " + count + " streams, header " + header.streamNames().size());
      }
      List<StreamLayout> streams = new ArrayList<>(count);
      for (int s = 0; s < count; s++) {
        String name = header.streamNames().get(s);
        long size = b.getLong();
        long blocks = b.getLong();
        long stored = b.getLong();
        int pages = b.getInt();
        if (b.getInt() != 0) {
          throw new CorruptSnapshotException(
              source, "footer of stream " + name + ": reserved bytes are not zero");
        }
        long expectBlocks =
            size < 0 ? -1 : (size + header.blockSize() - 1) >>> header.blockSizeLog2();
        long expectPages = (expectBlocks + header.entriesPerPage() - 1) / header.entriesPerPage();
        if (size < 0 || blocks != expectBlocks || pages != expectPages || stored < 0) {
          throw new CorruptSnapshotException(
              source,
              "footer of stream "
                  + name
                  + ": size "
                  + size
                  + ", "
                  + blocks
                  + " blocks, "
                  + Integer.toUnsignedString(pages)
                  + " index pages do not agree");
        }
        if ((long) pages * 8 > b.remaining()) {
          throw new CorruptSnapshotException(source, "footer of stream " + name + " is cut short");
        }
        long[] offsets = new long[pages];
        for (int p = 0; p < pages; p++) {
          offsets[p] = b.getLong();
          if (offsets[p] < dataStart || offsets[p] >= footerOffset) {
            throw new CorruptSnapshotException(
                source,
                "index page "
                    + p
                    + " of stream "
                    + name
                    + " at offset "
                    + offsets[p]
                    + " lies outside the data area");
          }
        }
        streams.add(new StreamLayout(size, blocks, stored, offsets));
      }
      return new Footer(streams);
    } catch (BufferUnderflowException e) {
      throw new CorruptSnapshotException(source, "footer is cut short");
    }
  }

  public ByteBuffer encode() {
    int length = 8;
    for (StreamLayout s : streams) {
      length += 32 + 8 * s.pageOffsets().length;
    }
    ByteBuffer b = ByteBuffer.allocate(length).order(ByteOrder.LITTLE_ENDIAN);
    b.putInt(MAGIC).putInt(streams.size());
    for (StreamLayout s : streams) {
      b.putLong(s.size()).putLong(s.blockCount()).putLong(s.storedBytes());
      b.putInt(s.pageOffsets().length).putInt(0);
      for (long o : s.pageOffsets()) {
        b.putLong(o);
      }
    }
    return b.flip();
  }
}
