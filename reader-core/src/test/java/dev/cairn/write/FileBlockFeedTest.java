package dev.cairn.write;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cairn.testing.TestData;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class FileBlockFeedTest {
  @TempDir Path dir;

  /** Sizes around the read-ahead chunk and the O_DIRECT alignment, on disk and on tmpfs. */
  @ParameterizedTest
  @ValueSource(
      ints = {
        0,
        1,
        4095,
        4097,
        FileBlockFeed.CHUNK - 1,
        FileBlockFeed.CHUNK,
        FileBlockFeed.CHUNK + 513,
        5 * FileBlockFeed.CHUNK + 12345
      })
  void sequentialReadsReturnTheFileBytes(int size) throws IOException {
    byte[] data = TestData.random(size, size);
    for (Path where : places()) {
      Path f = Files.write(where.resolve("in-" + size), data);
      // the test directory must be read with O_DIRECT, or packing pays a page cache copy; on
      // /dev/shm only the bytes are checked (older kernels give tmpfs no O_DIRECT)
      if (where.equals(dir)) {
        try (FileBlockFeed feed = FileBlockFeed.open(f, 12)) {
          assertTrue(feed.direct(), f + " on " + Files.getFileStore(f).type());
        }
      }
      assertArrayEquals(data, readAll(f, 12), f.toString());
      Files.delete(f);
      if (!where.equals(dir)) {
        Files.delete(where);
      }
    }
  }

  @Test
  void outOfOrderReadsReturnTheFileBytes() throws IOException {
    byte[] data = TestData.random(3 * FileBlockFeed.CHUNK + 100, 7);
    Path f = Files.write(dir.resolve("in"), data);
    int bs = 1 << 16;
    long blocks = (data.length + bs - 1) / bs;
    try (FileBlockFeed feed = FileBlockFeed.open(f, 16)) {
      // forward, then back into an earlier chunk, then past the end of the read-ahead
      long[] order = {0, 1, 70, 2, blocks - 1, 3, 64, 65};
      for (long b : order) {
        int len = (int) Math.min(bs, data.length - b * bs);
        ByteBuffer dst = ByteBuffer.allocate(len);
        feed.read(b, dst);
        assertEquals(0, dst.remaining());
        int from = (int) (b * bs);
        assertArrayEquals(Arrays.copyOfRange(data, from, from + len), dst.array(), "block " + b);
      }
    }
  }

  @Test
  void aFileThatShrankIsAnError() throws IOException {
    byte[] data = TestData.random(6 * FileBlockFeed.CHUNK, 3);
    Path f = Files.write(dir.resolve("in"), data);
    try (FileBlockFeed feed = FileBlockFeed.open(f, 16)) {
      assertEquals(data.length, feed.size());
      Files.write(f, new byte[10]);
      EOFException e =
          assertThrows(
              EOFException.class,
              () -> {
                for (long b = 0; b < data.length >> 16; b++) {
                  feed.read(b, ByteBuffer.allocate(1 << 16));
                }
              });
      assertTrue(e.getMessage().contains("shrank"), e.getMessage());
    }
  }

  private Path[] places() throws IOException {
    Path shm = Path.of("/dev/shm");
    if (Files.isDirectory(shm) && Files.isWritable(shm)) {
      return new Path[] {dir, Files.createTempDirectory(shm, "cairn-feed")};
    }
    return new Path[] {dir};
  }

  private static byte[] readAll(Path f, int blockLog2) throws IOException {
    try (FileBlockFeed feed = FileBlockFeed.open(f, blockLog2)) {
      long size = feed.size();
      byte[] out = new byte[(int) size];
      int bs = 1 << blockLog2;
      for (long b = 0; b * bs < size; b++) {
        int len = (int) Math.min(bs, size - b * bs);
        ByteBuffer dst = ByteBuffer.allocateDirect(len);
        feed.read(b, dst);
        dst.flip().get(out, (int) (b * bs), len);
      }
      return out;
    }
  }
}
