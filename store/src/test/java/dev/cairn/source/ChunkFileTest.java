package dev.cairn.source;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The chunk-file format of the disk cache on its own: what is served and what is deleted. */
class ChunkFileTest {
  private static final byte[] HASH = filled(32, 7);
  private static final byte[] DATA = filled(1000, 3);

  @TempDir Path dir;

  private static byte[] filled(int n, int seed) {
    byte[] b = new byte[n];
    for (int i = 0; i < n; i++) {
      b[i] = (byte) (i * 31 + seed);
    }
    return b;
  }

  @Test
  void aWrittenChunkReadsBackWithItsHeaderAndTrailer() throws IOException {
    Path f = dir.resolve("5");
    ChunkFile.write(f, HASH, 5, DATA);
    assertEquals(52 + 1000 + 4, Files.size(f));
    assertEquals("cairnck1", new String(Files.readAllBytes(f), 0, 8, "US-ASCII"));
    assertArrayEquals(DATA, ChunkFile.read(f, HASH, 5, 1000));
  }

  @Test
  void writingNeverOpensAnExistingFile() throws IOException {
    Path f = Files.write(dir.resolve("5"), new byte[] {1});
    assertThrows(FileAlreadyExistsException.class, () -> ChunkFile.write(f, HASH, 5, DATA));
    assertArrayEquals(new byte[] {1}, Files.readAllBytes(f));
  }

  @Test
  void aChunkOfAnotherIndexObjectOrLengthIsDeletedNotServed() throws IOException {
    for (int variant = 0; variant < 3; variant++) {
      Path f = dir.resolve("c" + variant);
      ChunkFile.write(f, HASH, 5, DATA);
      byte[] got =
          switch (variant) {
            case 0 -> ChunkFile.read(f, HASH, 6, 1000);
            case 1 -> ChunkFile.read(f, filled(32, 8), 5, 1000);
            default -> ChunkFile.read(f, HASH, 5, 999);
          };
      assertNull(got, "variant " + variant);
      assertFalse(Files.exists(f), "variant " + variant);
    }
  }

  @Test
  void aFlippedDataByteFailsTheCrcAndTheFileIsDeleted() throws IOException {
    Path f = dir.resolve("0");
    ChunkFile.write(f, HASH, 0, DATA);
    byte[] bytes = Files.readAllBytes(f);
    bytes[52 + 500] ^= 1;
    Files.delete(f);
    Files.write(f, bytes);
    assertNull(ChunkFile.read(f, HASH, 0, 1000));
    assertFalse(Files.exists(f));
  }

  @Test
  void aMissingFileOrAFolderAtTheNameIsNotServedAndLeftAlone() throws IOException {
    assertNull(ChunkFile.read(dir.resolve("1"), HASH, 1, 1000));
    Path folder = Files.createDirectory(dir.resolve("2"));
    assertNull(ChunkFile.read(folder, HASH, 2, 1000));
    assertTrue(Files.isDirectory(folder));
  }
}
