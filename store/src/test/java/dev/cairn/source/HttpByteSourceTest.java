package dev.cairn.source;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cairn.fixture.Nginx;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The byte-source contract against a real nginx, plus what only HTTP can get wrong. */
class HttpByteSourceTest extends ByteSourceContract {
  @TempDir static Path shared;
  static Path root;
  static Nginx nginx;
  private static int objects;

  @BeforeAll
  static void startNginx() throws Exception {
    root = Files.createDirectories(shared.resolve("www"));
    nginx = Nginx.serve(root, Files.createDirectories(shared.resolve("nginx")));
  }

  @AfterAll
  static void stopNginx() throws Exception {
    if (nginx != null) {
      nginx.close();
    }
  }

  @Override
  protected ByteSource open(byte[] content) throws IOException {
    String name = "object-" + objects++ + ".bin";
    Files.write(root.resolve(name), content);
    return ChunkCachingSource.of(HttpByteSource.open(URI.create(nginx.url(name))));
  }

  @Test
  void aMissingObjectIsNoSuchFileAndNamesTheUrl() {
    NoSuchFileException e =
        assertThrows(
            NoSuchFileException.class,
            () -> HttpByteSource.open(URI.create(nginx.url("missing.cairn"))));
    assertTrue(e.getMessage().contains("/missing.cairn"), e.getMessage());
    assertTrue(e.getMessage().contains("404"), e.getMessage());
  }

  @Test
  void urlsAreRecognisedAndDescribedWithoutQueries() throws IOException {
    assertTrue(HttpByteSource.isUrl("https://example.org/a.cairn"));
    assertTrue(HttpByteSource.isUrl("http://example.org/a.cairn"));
    assertEquals(false, HttpByteSource.isUrl("/var/a.cairn"));
    try (ByteSource s = open(randomBytes(10, 22))) {
      assertTrue(s.describe().startsWith("http://127.0.0.1:"), s.describe());
    }
  }

  /**
   * A second source for the same object version (as in the next process) reads chunks from the disk
   * cache, not the server: proven by changing the file under nginx while keeping its size and
   * mtime, hence its ETag. A new version (new mtime) is fetched afresh.
   */
  @Test
  void chunksFetchedOnceAreServedFromTheDiskCacheUntilTheObjectChanges() throws Exception {
    Path cache = Files.createDirectories(shared.resolve("disk-cache"));
    System.setProperty("cairn.cacheDir", cache.toString());
    try {
      byte[] v1 = randomBytes(3 << 20, 31);
      Path file = root.resolve("cached.bin");
      Files.write(file, v1);
      java.nio.file.attribute.FileTime mtime = Files.getLastModifiedTime(file);
      URI uri = URI.create(nginx.url("cached.bin"));
      try (ByteSource s = ChunkCachingSource.of(HttpByteSource.open(uri))) {
        assertArrayEquals(v1, readAll(s));
      }
      byte[] v2 = randomBytes(3 << 20, 32);
      Files.write(file, v2);
      Files.setLastModifiedTime(file, mtime);
      try (ByteSource s = ChunkCachingSource.of(HttpByteSource.open(uri))) {
        assertArrayEquals(v1, readAll(s), "same ETag: served from the disk cache");
      }
      Files.setLastModifiedTime(
          file, java.nio.file.attribute.FileTime.fromMillis(mtime.toMillis() + 5000));
      try (ByteSource s = ChunkCachingSource.of(HttpByteSource.open(uri))) {
        assertArrayEquals(v2, readAll(s), "new ETag: fetched again");
      }
    } finally {
      System.clearProperty("cairn.cacheDir");
    }
  }

  /**
   * A sequential reader gets chunks fetched ahead of it, each chunk still only once, and adjacent
   * chunks read ahead together: fewer requests than chunks.
   */
  @Test
  void sequentialReadsFetchEveryChunkOnceWithReadAhead() throws Exception {
    System.setProperty("cairn.cacheDir", "none");
    try {
      byte[] content = randomBytes(10 << 20, 41);
      Path file = root.resolve("sequential.bin");
      Files.write(file, content);
      try (ChunkCachingSource s =
          ChunkCachingSource.of(HttpByteSource.open(URI.create(nginx.url("sequential.bin"))))) {
        assertArrayEquals(content, readAll(s));
        long requests = (Long) s.counters().get("requests");
        assertTrue(requests < 10 && requests >= 3, s.counters().toString());
        assertEquals(10L << 20, s.counters().get("bytes_fetched"));
      }
    } finally {
      System.clearProperty("cairn.cacheDir");
    }
  }
}
