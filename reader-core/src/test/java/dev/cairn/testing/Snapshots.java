package dev.cairn.testing;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.cairn.format.Footer;
import dev.cairn.format.Header;
import dev.cairn.format.IndexPage;
import dev.cairn.format.Trailer;
import dev.cairn.io.Crc;
import dev.cairn.read.BlockCache;
import dev.cairn.read.ReadStats;
import dev.cairn.read.Snapshot;
import dev.cairn.read.StreamReader;
import dev.cairn.source.ByteSource;
import dev.cairn.write.SnapshotWriter;
import dev.cairn.write.WriterOptions;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/** Writing snapshots to memory, opening them, and checking what reads return. */
public final class Snapshots {
  private Snapshots() {}

  /** A snapshot written to memory, with what went into it. */
  public record Written(byte[] file, SnapshotWriter.Result result, List<byte[]> inputs) {
    public Header header() {
      return result.header();
    }

    public Footer footer() {
      return result.footer();
    }

    /** The trailer, parsed from the file's last bytes. */
    public Trailer trailer() {
      try {
        return Trailer.parse(
            ByteBuffer.wrap(file, file.length - Trailer.LENGTH, Trailer.LENGTH),
            file.length,
            "test");
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }

    public int headerLength() {
      return header().encode().remaining();
    }

    /** The number of entries on page {@code page} of stream {@code stream}. */
    public int pageEntries(int stream, int page) {
      long blocks = footer().streams().get(stream).blockCount();
      int per = header().entriesPerPage();
      return (int) Math.min(per, blocks - (long) page * per);
    }

    public long pageOffset(int stream, int page) {
      return footer().streams().get(stream).pageOffsets()[page];
    }

    /** The parsed index page, straight from the file's bytes. */
    public IndexPage page(int stream, int page) {
      int n = pageEntries(stream, page);
      try {
        return IndexPage.parse(
            ByteBuffer.wrap(file, (int) pageOffset(stream, page), IndexPage.encodedLength(n)),
            stream,
            (long) page * header().entriesPerPage(),
            n,
            headerLength(),
            trailer().footerOffset(),
            Integer.MAX_VALUE,
            "test",
            header().streamNames().get(stream));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }

    public MemoryByteSource source(String name) {
      return new MemoryByteSource(file.clone(), name);
    }
  }

  /**
   * Writes {@code inputs} (one per stream) to memory, through a channel that takes short writes.
   */
  public static Written write(WriterOptions options, List<String> names, byte[]... inputs) {
    MemoryChannel ch = new MemoryChannel(1 << 20);
    try (SnapshotWriter w = SnapshotWriter.start(ch, options, names)) {
      for (byte[] in : inputs) {
        w.writeStream(new ArrayBlockFeed(in, options.blockSize()), done -> {});
      }
      SnapshotWriter.Result r = w.finish();
      byte[] file = ch.toByteArray();
      assertEquals(r.fileSize(), file.length, "result file size");
      assertEquals(w.position(), file.length, "writer position");
      return new Written(file, r, List.of(inputs));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public static Snapshot open(byte[] file, String name) throws IOException {
    return open(new MemoryByteSource(file, name), 16 << 20);
  }

  public static Snapshot open(ByteSource source, long cacheBytes) throws IOException {
    return Snapshot.open(source, BlockCache.withCapacity(cacheBytes), new ReadStats());
  }

  /** Reads the whole stream sequentially through odd-sized heap reads. */
  public static byte[] readAll(StreamReader s) throws IOException {
    byte[] out = new byte[Math.toIntExact(s.size())];
    ByteBuffer b = ByteBuffer.wrap(out);
    int chunk = s.blockSize() / 3 + 7;
    long pos = 0;
    while (pos < s.size()) {
      ByteBuffer part = b.duplicate().position((int) pos);
      part.limit((int) Math.min(out.length, pos + chunk));
      int n = s.read(pos, part);
      if (n <= 0) {
        throw new AssertionError("read returned " + n + " at " + pos + " of " + s.size());
      }
      pos += n;
    }
    return out;
  }

  /**
   * Checks {@code count} reads at random offsets and lengths against {@code expected}, alternating
   * heap and direct buffers, and reading into the middle of a larger buffer.
   */
  public static void checkRandomReads(StreamReader s, byte[] expected, int count, long seed)
      throws IOException {
    Random r = new Random(seed);
    int bs = s.blockSize();
    for (int i = 0; i < count; i++) {
      long off;
      int len;
      switch (i % 4) {
        case 0 -> { // anywhere, up to a few blocks
          off = expected.length == 0 ? 0 : r.nextInt(expected.length);
          len = r.nextInt(3 * bs + 2);
        }
        case 1 -> { // one whole block, aligned (the decompress-straight-into-dst path)
          long blocks = Math.max(1, (expected.length + (long) bs - 1) / bs);
          off = (long) r.nextInt((int) blocks) * bs;
          len = bs;
        }
        case 2 -> { // small, may straddle a block boundary
          long blocks = Math.max(1, (expected.length + (long) bs - 1) / bs);
          off = Math.max(0, (long) r.nextInt((int) blocks) * bs - r.nextInt(17));
          len = 1 + r.nextInt(33);
        }
        default -> { // near or past the end
          off = Math.max(0, expected.length - r.nextInt(2 * bs + 1));
          len = r.nextInt(2 * bs + 1);
        }
      }
      checkRead(s, expected, off, len, (i / 4) % 2 == 0, i % 3);
    }
  }

  /** Reads {@code len} bytes at {@code off} into a fresh buffer and compares. */
  public static void checkRead(
      StreamReader s, byte[] expected, long off, int len, boolean direct, int pad)
      throws IOException {
    ByteBuffer dst =
        direct ? ByteBuffer.allocateDirect(len + 2 * pad) : ByteBuffer.allocate(len + 2 * pad);
    dst.position(pad).limit(pad + len);
    int n = s.read(off, dst);
    int want = (int) Math.max(0, Math.min(len, expected.length - off));
    String where = "read of " + len + " at " + off + " (" + (direct ? "direct" : "heap") + ")";
    assertEquals(want, n, where + ": count");
    assertEquals(pad + n, dst.position(), where + ": position");
    byte[] got = new byte[n];
    dst.get(pad, got);
    if (n > 0) {
      assertArrayEquals(Arrays.copyOfRange(expected, (int) off, (int) off + n), got, where);
    }
    dst.clear();
    for (int i = 0; i < pad; i++) {
      assertEquals(0, dst.get(i), where + ": wrote before position");
      assertEquals(0, dst.get(pad + len + i), where + ": wrote past limit");
    }
  }

  // ----- patching files with valid checksums, to reach checks behind them -----

  public static int getIntLe(byte[] f, int at) {
    return ByteBuffer.wrap(f).order(ByteOrder.LITTLE_ENDIAN).getInt(at);
  }

  public static long getLongLe(byte[] f, int at) {
    return ByteBuffer.wrap(f).order(ByteOrder.LITTLE_ENDIAN).getLong(at);
  }

  public static void putIntLe(byte[] f, int at, int v) {
    ByteBuffer.wrap(f).order(ByteOrder.LITTLE_ENDIAN).putInt(at, v);
  }

  public static void putLongLe(byte[] f, int at, long v) {
    ByteBuffer.wrap(f).order(ByteOrder.LITTLE_ENDIAN).putLong(at, v);
  }

  public static int crc(byte[] f, int from, int to) {
    return Crc.of(ByteBuffer.wrap(f), from, to);
  }

  /** Recomputes the trailer's own checksum (after its fields were patched). */
  public static void resealTrailer(byte[] f) {
    int t = f.length - Trailer.LENGTH;
    putIntLe(f, t + 44, crc(f, t, t + 44));
  }

  /** Recomputes the footer checksum stored in the trailer, then the trailer's own. */
  public static void resealFooter(byte[] f) {
    int t = f.length - Trailer.LENGTH;
    int off = (int) getLongLe(f, t + 8);
    int len = getIntLe(f, t + 16);
    putIntLe(f, t + 20, crc(f, off, off + len));
    resealTrailer(f);
  }

  /** Recomputes the checksum of an index page of {@code entries} entries at {@code offset}. */
  public static void resealPage(byte[] f, int offset, int entries) {
    int len = IndexPage.encodedLength(entries);
    putIntLe(f, offset + len - 4, crc(f, offset, offset + len - 4));
  }

  /** Recomputes the header checksum. */
  public static void resealHeader(byte[] f) {
    int len = getIntLe(f, 12);
    putIntLe(f, len - 4, crc(f, 0, len - 4));
  }

  /**
   * Writes a snapshot whose header is followed by dictionary {@code dict} (the writer itself does
   * not write dictionaries yet). Every offset in the file is kept: the snapshot is written with a
   * parent path hint that the rewritten header shortens by exactly the dictionary's length.
   */
  public static byte[] writeWithDictionary(
      WriterOptions options, List<String> names, byte[] dict, byte[]... inputs) {
    int hintLength = Math.max(dict.length, 1);
    Written w =
        write(options.withParent(options.parentId(), "h".repeat(hintLength)), names, inputs);
    Header old = w.header();
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
            dict.length,
            crc(dict, 0, dict.length),
            old.streamNames(),
            old.parentId(),
            "h".repeat(hintLength - dict.length),
            old.encryption());
    byte[] encoded = h.encode().array();
    assertEquals(w.headerLength(), encoded.length + dict.length);
    byte[] f = w.file().clone();
    System.arraycopy(encoded, 0, f, 0, encoded.length);
    System.arraycopy(dict, 0, f, encoded.length, dict.length);
    return f;
  }
}
