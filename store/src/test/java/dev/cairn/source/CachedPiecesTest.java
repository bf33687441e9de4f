package dev.cairn.source;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cairn.source.FaultySource.Read;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A chunk cache that fetches scattered reads as pieces ({@link CachedPieces}, {@link ReadStreams})
 * over a local file in a {@link FaultySource}: which bytes reach the inner source, what a later
 * source of the same version finds on disk, and that a piece proved wrong or damaged is never
 * served again. The byte source contract holds too.
 */
class CachedPiecesTest extends ByteSourceContract {
  private static final int MIB = 1 << 20;
  private static final long SEQUENTIAL = 512 << 10;

  @TempDir Path dir;

  @AfterEach
  void clearProperties() {
    System.clearProperty("cairn.cacheDir");
  }

  @Override
  protected ByteSource open(byte[] content) throws IOException {
    return scattered(FileByteSource.open(localFile(content)), null);
  }

  private static ChunkCachingSource scattered(ByteSource inner, DiskChunkCache disk)
      throws IOException {
    return source(inner, disk, 4, true);
  }

  /** A source without a disk cache that fetches whole chunks until it is asked to prefetch. */
  private static ChunkCachingSource wholeChunksFirst(ByteSource inner) throws IOException {
    return source(inner, null, 4, false);
  }

  /**
   * A source that reads {@code readAhead} chunks ahead at first (up to 24), whose scattered reads
   * fetch pieces from the start if {@code scattered}.
   */
  private static ChunkCachingSource source(
      ByteSource inner, DiskChunkCache disk, int readAhead, boolean scattered) throws IOException {
    return new ChunkCachingSource(
        inner,
        disk,
        new RemoteCounters(),
        new RemoteLimits(8, 0, 32L * MIB),
        null,
        new ReadAheadWindow(readAhead, readAhead == 0 ? 0 : 24, ChunkCachingSource.MAX_RUN),
        SEQUENTIAL,
        scattered);
  }

  private DiskChunkCache diskCache(String url, long size) {
    System.setProperty("cairn.cacheDir", dir.resolve("cache").toString());
    return DiskChunkCache.forObject(url, size, "v1");
  }

  private static final long[] SCATTERED = {
    40L * MIB + 5, 3L * MIB + 4096, 60L * MIB + 77, 17L * MIB + 70000, 9L * MIB + 1000
  };

  /**
   * A source that starts with whole chunks (a mount without an access profile) fetches exactly what
   * it is asked to prefetch, and from then on its scattered reads fetch pieces too.
   */
  @Test
  void aPrefetchFetchesExactlyAndTurnsScatteredReadsToPieces() throws IOException {
    byte[] content = randomBytes(16 * MIB, 37);
    FaultySource inner = faulty(content);
    try (ChunkCachingSource s = wholeChunksFirst(inner)) {
      assertArrayEquals(slice(content, 3L * MIB + 5, 100), read(s, 3L * MIB + 5, 100));
      s.prefetch(9L * MIB + 8192, 20000);
      s.prefetch(3L * MIB + 100, 200); // in a cached chunk: nothing to fetch
      assertArrayEquals(slice(content, 9L * MIB + 9000, 100), read(s, 9L * MIB + 9000, 100));
      assertArrayEquals(slice(content, 12L * MIB + 5, 100), read(s, 12L * MIB + 5, 100));
    }
    assertEquals(
        List.of(
            new Read(3L * MIB, MIB), new Read(9L * MIB + 8192, 20480), new Read(12L * MIB, 4096)),
        inner.reads(),
        "a whole chunk before the prefetch, exact pieces from then on");
  }

  /**
   * A prefetch of a chunk or more (a profile's long run: a model load) takes the chunks covering
   * it, coalesced, each fetched once; a shorter one is a piece.
   */
  @Test
  void aLongPrefetchTakesWholeChunksAShortOneAPiece() throws IOException {
    byte[] content = randomBytes(24 * MIB, 38);
    FaultySource inner = faulty(content);
    System.setProperty("cairn.cacheDir", dir.resolve("cache").toString());
    try (ChunkCachingSource s =
        scattered(inner, DiskChunkCache.forObject("test://pre", content.length, "v1"))) {
      for (long pos = 0; pos < 16 * MIB; pos += 4 * MIB) {
        s.prefetch(pos + 100, 4 * MIB - 200);
      }
      s.prefetch(20L * MIB + 5000, 100_000);
      s.prefetch(22L * MIB, MIB - 1);
      List<Read> reads = inner.reads();
      for (long pos = 15L * MIB; pos >= 0; pos -= MIB) { // backwards: no read-ahead
        assertArrayEquals(slice(content, pos, 1000), read(s, pos, 1000));
      }
      assertArrayEquals(slice(content, 20L * MIB + 5000, 100), read(s, 20L * MIB + 5000, 100));
      assertEquals(reads, inner.reads(), "every read served from what was prefetched");
      assertEquals(
          List.of(
              new Read(0, 4 * MIB),
              new Read(4L * MIB, 4 * MIB),
              new Read(8L * MIB, 4 * MIB),
              new Read(12L * MIB, 4 * MIB),
              new Read(20L * MIB + 4096, 102400),
              new Read(22L * MIB, MIB)),
          reads);
    }
  }

  /**
   * A read announced ({@link ByteSource#willRead}) where reads fetch pieces is fetched as one
   * piece, which then serves the smaller reads that follow; what a chunk or piece holds already, a
   * part of a sequential stream, or a source still on whole chunks, is left to the reads.
   */
  @Test
  void anAnnouncedReadIsFetchedAsOnePieceOnlyWhereReadsFetchPieces() throws IOException {
    byte[] content = randomBytes(16 * MIB, 39);
    FaultySource inner = faulty(content);
    try (ChunkCachingSource s = wholeChunksFirst(inner)) {
      assertTrue(!s.holds(5L * MIB, 100));
      s.willRead(5L * MIB, 300_000); // whole chunks yet: the reads fetch
      assertEquals(List.of(), inner.reads());
      s.prefetch(9L * MIB + 8192, 20000); // from now on, pieces
      assertTrue(s.holds(9L * MIB + 8192, 20000) && !s.holds(9L * MIB + 8192, 30000));
      int before = inner.reads().size();

      s.willRead(2L * MIB + 5000, 200_000);
      assertTrue(s.holds(2L * MIB + 5000, 200_000));
      s.willRead(2L * MIB + 6000, 100_000); // held: nothing to fetch
      s.willRead(9L * MIB + 9000, 1000); // held by the prefetched piece
      for (long pos = 2L * MIB + 5000; pos < 2L * MIB + 205_000; pos += 50_000) {
        assertArrayEquals(slice(content, pos, 50_000), read(s, pos, 50_000));
      }
      List<Read> reads = inner.reads();
      assertEquals(
          List.of(new Read(2L * MIB + 4096, 204800)),
          reads.subList(before, reads.size()),
          "one piece, 4 KiB-aligned, for the announced read and the reads that follow");
    }
    // a sequential reader (no read-ahead here, so that what follows its reads is not held yet)
    FaultySource again = faulty(content);
    try (ChunkCachingSource s = source(again, null, 0, true)) {
      for (long pos = 12L * MIB; pos < 13L * MIB; pos += 128 << 10) {
        read(s, pos, 128 << 10);
      }
      List<Read> sequential = again.reads();
      assertTrue(!s.holds(13L * MIB + 4096, 200_000));
      s.willRead(13L * MIB + 4096, 200_000); // joins that stream: its reads fetch chunks
      assertEquals(sequential, again.reads());
    }
  }

  /** A scattered read fetches its own bytes, widened to 4 KiB pages, and nothing else. */
  @Test
  void scatteredReadsFetchOnlyTheirPages() throws IOException {
    byte[] content = randomBytes(64 * MIB, 31);
    FaultySource inner = faulty(content);
    try (ChunkCachingSource s = scattered(inner, null)) {
      for (long p : SCATTERED) {
        assertArrayEquals(slice(content, p, 30000), read(s, p, 30000));
      }
      // the same bytes and any part of them again: no request
      for (long p : SCATTERED) {
        assertArrayEquals(slice(content, p + 100, 20000), read(s, p + 100, 20000));
      }
    }
    List<Read> expected =
        Arrays.stream(SCATTERED)
            .mapToObj(
                p -> {
                  long start = p / 4096 * 4096;
                  long end = (p + 30000 + 4095) / 4096 * 4096;
                  return new Read(start, (int) (end - start));
                })
            .toList();
    assertEquals(expected, inner.reads());
  }

  /**
   * A reader moving forward fetches pieces until it has read the threshold contiguously, then whole
   * chunks with read-ahead: every byte is still returned right, and what is fetched beyond the
   * object is at most the pieces before the switch.
   */
  @Test
  void aSequentialReaderTurnsToWholeChunks() throws IOException {
    byte[] content = randomBytes(16 * MIB + 4321, 32);
    FaultySource inner = faulty(content);
    System.setProperty("cairn.cacheDir", dir.resolve("cache").toString());
    try (ChunkCachingSource s =
        scattered(inner, DiskChunkCache.forObject("test://seq", content.length, "v1"))) {
      for (int pos = 0; pos < content.length; pos += 65536) {
        int n = Math.min(65536, content.length - pos);
        assertArrayEquals(slice(content, pos, n), read(s, pos, n), "at " + pos);
      }
    }
    List<Read> reads = inner.reads();
    long fetched = reads.stream().mapToLong(Read::length).sum();
    assertTrue(fetched <= content.length + SEQUENTIAL, fetched + " bytes fetched: " + reads);
    long pieces = reads.stream().filter(r -> r.length() < MIB).count();
    assertTrue(pieces <= SEQUENTIAL / 65536, pieces + " piece reads: " + reads);
    assertTrue(reads.stream().anyMatch(r -> r.length() >= 2 * MIB), "coalesced: " + reads);
  }

  /**
   * Pieces persist: a later source of the same version serves every scattered read, and parts of
   * them, from the disk cache with its server failing; the cache folder lists the pieces as its
   * own.
   */
  @Test
  void aLaterSourceReadsPiecesFromTheDiskCache() throws IOException {
    byte[] content = randomBytes(64 * MIB, 33);
    try (ChunkCachingSource s = scattered(faulty(content), diskCache("test://p", content.length))) {
      for (long p : SCATTERED) {
        read(s, p, 30000);
      }
      assertTrue((long) s.counters().get("cached_bytes") >= SCATTERED.length * 30000L);
    }
    FaultySource gone = faulty(content);
    gone.fault =
        (position, length) -> {
          throw new IOException("obj: connection refused");
        };
    try (ChunkCachingSource s = scattered(gone, diskCache("test://p", content.length))) {
      for (long p : SCATTERED) {
        assertArrayEquals(slice(content, p + 10, 29000), read(s, p + 10, 29000));
      }
    }
    assertEquals(List.of(), gone.reads());
    List<CacheListing.Entry> files = CacheRoot.configured().listing.scan();
    assertEquals(SCATTERED.length, files.size(), files.toString());
    assertTrue(files.stream().allMatch(e -> e.file().getFileName().toString().startsWith("p")));
    CacheFolder.Entry listed = CacheFolder.configured().list().get(0);
    assertEquals(0, listed.chunks());
    assertEquals(SCATTERED.length, listed.pieces());
  }

  /** A range found wrong above the source is dropped from memory and disk and fetched again. */
  @Test
  void anInvalidatedPieceIsFetchedAgainAlsoByALaterSource() throws IOException {
    byte[] content = randomBytes(8 * MIB, 34);
    FaultySource inner = faulty(content);
    long p = 5L * MIB + 123;
    try (ChunkCachingSource s = scattered(inner, diskCache("test://inv", content.length))) {
      read(s, p, 1000);
      s.invalidate(p + 10, 10);
      assertArrayEquals(slice(content, p, 1000), read(s, p, 1000));
      s.invalidate(p, 1000);
    }
    assertEquals(2, inner.reads().size(), inner.reads().toString());
    FaultySource later = faulty(content);
    try (ChunkCachingSource s = scattered(later, diskCache("test://inv", content.length))) {
      assertArrayEquals(slice(content, p, 1000), read(s, p, 1000));
    }
    assertEquals(1, later.reads().size(), "the dropped piece is not on disk any more");
  }

  /** A piece file changed on disk fails its check and is fetched again. */
  @Test
  void aDamagedPieceIsNeverServed() throws IOException {
    byte[] content = randomBytes(4 * MIB, 35);
    try (ChunkCachingSource s =
        scattered(faulty(content), diskCache("test://dmg", content.length))) {
      read(s, 2L * MIB + 5, 100);
    }
    Path piece = keyFolder().resolve("p" + (2L * MIB) + "-4096");
    try (var ch = Files.newByteChannel(piece, StandardOpenOption.WRITE)) {
      ch.position(60).write(ByteBuffer.wrap(new byte[] {42}));
    }
    FaultySource later = faulty(content);
    try (ChunkCachingSource s = scattered(later, diskCache("test://dmg", content.length))) {
      assertArrayEquals(slice(content, 2L * MIB + 5, 100), read(s, 2L * MIB + 5, 100));
    }
    assertEquals(List.of(new Read(2L * MIB, 4096)), later.reads());
  }

  /**
   * A piece renamed to the name of a chunk of the same length is not taken for that chunk (the
   * files' magic differs): the chunk is fetched.
   */
  @Test
  void aPieceRenamedAsAChunkIsNotServedAsOne() throws IOException {
    byte[] content = randomBytes(200 * 1024, 36);
    try (ChunkCachingSource s =
        scattered(faulty(content), diskCache("test://ren", content.length))) {
      read(s, 0, content.length); // one piece of the whole object: chunk 0's length
    }
    Path key = keyFolder();
    Files.move(key.resolve("p0-" + content.length), key.resolve("0"));
    FaultySource later = faulty(content);
    try (ChunkCachingSource s = scattered(later, diskCache("test://ren", content.length))) {
      assertArrayEquals(slice(content, 10, 100), read(s, 10, 100));
    }
    assertEquals(List.of(new Read(0, content.length)), later.reads());
  }

  private Path keyFolder() throws IOException {
    try (Stream<Path> keys = Files.list(dir.resolve("cache").resolve(CacheRoot.VERSIONED))) {
      return keys.filter(Files::isDirectory).findFirst().orElseThrow();
    }
  }
}
