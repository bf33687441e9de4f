package dev.cairn.source;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The record of a URL's size and validator next to its chunks: read back whole or not at all, only
 * for its own URL, never through a link; and what the disk cache finds through it while the server
 * is unreachable.
 */
class ObjectRecordTest {
  @TempDir Path dir;

  @BeforeEach
  void useTempDir() {
    System.setProperty("cairn.cacheDir", dir.resolve("cache").toString());
  }

  @AfterEach
  void restore() {
    System.clearProperty("cairn.cacheDir");
  }

  private static final ObjectRecord A =
      new ObjectRecord("http://h/a.cairn", 123_456_789L, "\"etag-1\"", 1_700_000_000_000L);

  @Test
  void aRecordComesBackAsWrittenWithOrWithoutAValidator() throws Exception {
    Path f = dir.resolve("r.obj");
    A.write(f);
    assertEquals(A, ObjectRecord.read(f, A.url()));
    assertEquals(A, ObjectRecord.read(f, null));
    ObjectRecord none = new ObjectRecord("s3://b/k", 0, null, 5);
    none.write(f);
    assertEquals(none, ObjectRecord.read(f, "s3://b/k"));
    assertEquals("rw-------", dev.cairn.fixture.FolderTree.mode(f));
  }

  @Test
  void aRecordForAnotherUrlADamagedOneOrALinkIsNotRead() throws Exception {
    Path f = dir.resolve("r.obj");
    A.write(f);
    assertNull(ObjectRecord.read(f, "http://h/b.cairn"), "another URL's");
    byte[] raw = Files.readAllBytes(f);
    for (int i = 0; i < raw.length; i++) {
      byte[] bad = raw.clone();
      bad[i] ^= 0x10;
      Files.write(f, bad);
      assertNull(ObjectRecord.read(f, A.url()), "byte " + i + " changed");
    }
    Files.write(f, java.util.Arrays.copyOf(raw, raw.length - 1));
    assertNull(ObjectRecord.read(f, A.url()), "cut short");
    Path real = dir.resolve("real.obj");
    A.write(real);
    Files.delete(f);
    Files.createSymbolicLink(f, real);
    assertNull(ObjectRecord.read(f, A.url()), "a link is not followed");
    assertNull(ObjectRecord.read(dir, A.url()), "a folder");
    assertNull(ObjectRecord.read(dir.resolve("absent.obj"), A.url()));
  }

  @Test
  void theRecordedVersionLeadsToItsChunksAndANewVersionReplacesIt() {
    assertNull(DiskChunkCache.recorded("http://h/a.cairn"), "nothing recorded yet");
    DiskChunkCache v1 = DiskChunkCache.forObject("http://h/a.cairn", 3000, "\"1\"");
    v1.record();
    v1.put(0, new byte[] {1, 2, 3});
    DiskChunkCache found = DiskChunkCache.recorded("http://h/a.cairn");
    assertEquals(3000, found.object().size());
    assertEquals("\"1\"", found.object().validator());
    assertTrue(found.has(0, 3));
    assertArrayEquals(new byte[] {1, 2, 3}, found.get(0, 3));
    DiskChunkCache v2 = DiskChunkCache.forObject("http://h/a.cairn", 4000, "\"2\"");
    v2.record();
    found = DiskChunkCache.recorded("http://h/a.cairn");
    assertEquals(4000, found.object().size());
    assertNull(found.get(0, 3), "the new version's chunks, not the old one's");
    assertNull(DiskChunkCache.recorded("http://h/other.cairn"));
  }
}
