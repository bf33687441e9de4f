package dev.cairn.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MappedByteSourceTest extends ByteSourceContract {
  @TempDir Path dir;

  @Override
  protected ByteSource open(byte[] content) throws IOException {
    return MappedByteSource.open(localFile(content));
  }

  @Test
  void viewsAndReadsAcrossSegmentBoundaries() throws IOException {
    // A sparse file a little over two segments long, with marks around both boundaries.
    Path f = dir.resolve("big");
    long seg = 1L << MappedByteSource.SEGMENT_SHIFT;
    byte[] mark = randomBytes(3 << 20, 13);
    try (RandomAccessFile raf = new RandomAccessFile(f.toFile(), "rw")) {
      raf.setLength(2 * seg + (1 << 20));
      for (long at : new long[] {seg - (1 << 20), 2 * seg - (1 << 20)}) {
        raf.seek(at);
        raf.write(mark, 0, 2 << 20);
      }
    }
    try (MappedByteSource s = MappedByteSource.open(f)) {
      for (long at : new long[] {seg - (1 << 20), 2 * seg - (1 << 20)}) {
        ByteBuffer v = s.view(at, 2 << 20);
        assertNotNull(v);
        byte[] got = new byte[2 << 20];
        v.get(got);
        assertArrayEquals(java.util.Arrays.copyOf(mark, 2 << 20), got);
        ByteBuffer dst = ByteBuffer.allocate(2 << 20);
        s.readFully(at, dst);
        assertArrayEquals(got, dst.array());
      }
      assertNull(s.view(0, MappedByteSource.MAX_VIEW + 1));
      ByteBuffer big = ByteBuffer.allocate(MappedByteSource.MAX_VIEW + 5);
      s.readFully(seg - 100, big);
      assertArrayEquals(
          java.util.Arrays.copyOfRange(mark, (1 << 20) - 100, (1 << 20) - 90),
          java.util.Arrays.copyOf(big.array(), 10));
    }
  }

  @Test
  void trimmingTheMappingLosesNoData() throws IOException {
    byte[] content = randomBytes(3 << 20, 14);
    try (MappedByteSource s = (MappedByteSource) open(content)) {
      // view far more than the trim interval, in block-sized pieces, checking every byte
      for (int round = 0; round < 8; round++) {
        for (int at = 0; at + 65536 <= content.length; at += 65536) {
          ByteBuffer v = s.view(at, 65536);
          byte[] got = new byte[65536];
          v.get(got);
          assertArrayEquals(java.util.Arrays.copyOfRange(content, at, at + 65536), got);
        }
        s.trim();
      }
    }
  }

  @Test
  void localFilesAreMappedUnlessSwitchedOff() throws IOException {
    Path f = localFile(randomBytes(1000, 15));
    try (ByteSource s = ByteSource.openLocal(f)) {
      org.junit.jupiter.api.Assertions.assertInstanceOf(MappedByteSource.class, s);
    }
    System.setProperty("cairn.mmap", "false");
    try (ByteSource s = ByteSource.openLocal(f)) {
      org.junit.jupiter.api.Assertions.assertInstanceOf(FileByteSource.class, s);
    } finally {
      System.clearProperty("cairn.mmap");
    }
    assertThrows(
        java.nio.file.NoSuchFileException.class,
        () -> ByteSource.openLocal(f.resolveSibling("missing")));
  }
}
