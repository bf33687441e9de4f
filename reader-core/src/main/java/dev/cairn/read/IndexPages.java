package dev.cairn.read;

import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.LoadingCache;
import dev.cairn.error.CorruptSnapshotException;
import dev.cairn.format.Footer;
import dev.cairn.format.Header;
import dev.cairn.format.IndexPage;
import dev.cairn.format.SnapshotSeal;
import dev.cairn.source.ByteSource;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * The index pages of one snapshot's streams, read from its byte source on first use, checked, and
 * kept in a cache bounded by weight (64 MiB per snapshot, shared by its streams).
 *
 * <p>Thread-safe.
 */
final class IndexPages {
  private static final long MAX_WEIGHT = 64L << 20;

  private final ByteSource source;
  private final Header header;
  private final Footer footer;
  private final long dataStart;
  private final long dataEnd;
  private final int maxStored;
  private final SnapshotSeal seal;
  private final LoadingCache<Long, IndexPage> pages;

  IndexPages(
      ByteSource source,
      Header header,
      Footer footer,
      long dataStart,
      long dataEnd,
      int maxStored,
      SnapshotSeal seal) {
    this.source = source;
    this.seal = seal;
    this.header = header;
    this.footer = footer;
    this.dataStart = dataStart;
    this.dataEnd = dataEnd;
    this.maxStored = maxStored;
    this.pages =
        Caffeine.newBuilder()
            .maximumWeight(MAX_WEIGHT)
            .weigher((Long k, IndexPage p) -> p.weight())
            .executor(Runnable::run)
            .build(this::load);
  }

  /** Page {@code pageNo} of stream {@code stream}, loading and checking it on a miss. */
  IndexPage get(int stream, long pageNo) throws IOException {
    try {
      return pages.get(((long) stream << 40) | pageNo);
    } catch (UncheckedBlockException e) {
      throw e.getCause();
    }
  }

  private IndexPage load(Long key) {
    int stream = (int) (key >>> 40);
    long pageNo = key & ((1L << 40) - 1);
    Footer.StreamLayout layout = footer.streams().get(stream);
    long first = pageNo * header.entriesPerPage();
    int count = (int) Math.min(header.entriesPerPage(), layout.blockCount() - first);
    long offset = layout.pageOffsets()[(int) pageNo];
    String streamName = header.streamNames().get(stream);
    try {
      ByteBuffer b = ByteBuffer.allocate(IndexPage.encodedLength(count, seal != null));
      try {
        source.readFully(offset, b);
      } catch (EOFException e) {
        throw new CorruptSnapshotException(
            source.describe(), streamName, first, "index page lies past the end of the file", e);
      } catch (CorruptSnapshotException e) {
        // a verifying source found bytes that do not match their signed digest
        throw new CorruptSnapshotException(
            source.describe(),
            streamName,
            first,
            "index page "
                + pageNo
                + " of blocks "
                + first
                + ".."
                + (first + count - 1)
                + ": "
                + e.getMessage(),
            e);
      }
      b.flip();
      return IndexPage.parse(
          b,
          stream,
          first,
          count,
          dataStart,
          dataEnd,
          maxStored,
          seal,
          source.describe(),
          streamName);
    } catch (IOException e) {
      throw new UncheckedBlockException(e);
    }
  }
}
