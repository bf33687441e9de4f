package dev.cairn.source;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The behaviour every {@link ByteSource} must have. Each implementation's test extends this class
 * and supplies {@link #open(byte[])}; the contract is then checked identically for local files,
 * memory maps and remote objects.
 */
public abstract class ByteSourceContract {
  @TempDir Path contractDir;
  private int files;

  /** Returns a fresh source whose content is exactly {@code content}. */
  protected abstract ByteSource open(byte[] content) throws IOException;

  /** A new local file holding {@code content}, for sources over local files. */
  protected Path localFile(byte[] content) throws IOException {
    return Files.write(contractDir.resolve("src" + files++), content);
  }

  /** A local file holding {@code content} in a {@link FaultySource}, for decorator tests. */
  protected FaultySource faulty(byte[] content) throws IOException {
    return new FaultySource(FileByteSource.open(localFile(content)));
  }

  /** The {@code length} bytes {@code s} reads at {@code position}. */
  protected static byte[] read(ByteSource s, long position, int length) throws IOException {
    ByteBuffer b = ByteBuffer.allocate(length);
    s.readFully(position, b);
    return b.array();
  }

  /** The {@code length} bytes of {@code content} at {@code position}. */
  protected static byte[] slice(byte[] content, long position, int length) {
    return java.util.Arrays.copyOfRange(content, (int) position, (int) position + length);
  }

  /** All of {@code s}, read in order in 64 KiB blocks, as a mount's sequential reader reads. */
  protected static byte[] readAll(ByteSource s) throws IOException {
    byte[] out = new byte[(int) s.size()];
    for (int pos = 0; pos < out.length; pos += 65536) {
      ByteBuffer b = ByteBuffer.allocate(Math.min(65536, out.length - pos));
      s.readFully(pos, b);
      System.arraycopy(b.array(), 0, out, pos, b.capacity());
    }
    return out;
  }

  protected static byte[] randomBytes(int n, long seed) {
    byte[] b = new byte[n];
    new Random(seed).nextBytes(b);
    return b;
  }

  /** A read of several MiB, across any internal chunking, arrives whole and in place. */
  @Test
  void largeRangesArriveWhole() throws IOException {
    byte[] content = randomBytes(3 << 20, 21);
    try (ByteSource s = open(content)) {
      ByteBuffer dst = ByteBuffer.allocateDirect(2 << 20);
      s.readFully((1 << 20) + 7, dst.limit((2 << 20) - 7));
      byte[] got = new byte[(2 << 20) - 7];
      dst.flip().get(got);
      assertArrayEquals(java.util.Arrays.copyOfRange(content, (1 << 20) + 7, 3 << 20), got);
    }
  }

  @Test
  void reportsSize() throws IOException {
    try (ByteSource s = open(randomBytes(12345, 1))) {
      assertEquals(12345, s.size());
    }
  }

  @Test
  void emptySourceHasSizeZeroAndAllowsEmptyRead() throws IOException {
    try (ByteSource s = open(new byte[0])) {
      assertEquals(0, s.size());
      s.readFully(0, ByteBuffer.allocate(0));
      assertThrows(EOFException.class, () -> s.readFully(0, ByteBuffer.allocate(1)));
    }
  }

  @Test
  void readsExactRangesIntoHeapAndDirectBuffers() throws IOException {
    byte[] content = randomBytes(1 << 20, 2);
    try (ByteSource s = open(content)) {
      Random r = new Random(3);
      for (int i = 0; i < 200; i++) {
        int pos = r.nextInt(content.length);
        int len = r.nextInt(Math.min(content.length - pos, 200_000) + 1);
        ByteBuffer dst = (i % 2 == 0) ? ByteBuffer.allocate(len) : ByteBuffer.allocateDirect(len);
        s.readFully(pos, dst);
        assertEquals(len, dst.position(), "position advanced to limit");
        dst.flip();
        byte[] got = new byte[len];
        dst.get(got);
        assertArrayEquals(Arrays.copyOfRange(content, pos, pos + len), got, "range at " + pos);
      }
    }
  }

  @Test
  void readsIntoTheMiddleOfABuffer() throws IOException {
    byte[] content = randomBytes(4096, 4);
    try (ByteSource s = open(content)) {
      ByteBuffer dst = ByteBuffer.allocate(100);
      dst.position(10).limit(60);
      s.readFully(1000, dst);
      assertEquals(60, dst.position());
      assertArrayEquals(
          Arrays.copyOfRange(content, 1000, 1050), Arrays.copyOfRange(dst.array(), 10, 60));
      assertEquals(0, dst.array()[0]);
      assertEquals(0, dst.array()[60]);
    }
  }

  @Test
  void readOfLastByteWorksAndOnePastEndFails() throws IOException {
    byte[] content = randomBytes(777, 5);
    try (ByteSource s = open(content)) {
      ByteBuffer one = ByteBuffer.allocate(1);
      s.readFully(776, one);
      assertEquals(content[776], one.get(0));
      assertThrows(EOFException.class, () -> s.readFully(777, ByteBuffer.allocate(1)));
      assertThrows(EOFException.class, () -> s.readFully(700, ByteBuffer.allocate(78)));
      assertThrows(EOFException.class, () -> s.readFully(Long.MAX_VALUE, ByteBuffer.allocate(2)));
    }
  }

  @Test
  void rejectsNegativePosition() throws IOException {
    try (ByteSource s = open(randomBytes(10, 6))) {
      assertThrows(IllegalArgumentException.class, () -> s.readFully(-1, ByteBuffer.allocate(1)));
    }
  }

  @Test
  void concurrentReadersSeeTheirOwnRanges() throws Exception {
    byte[] content = randomBytes(4 << 20, 7);
    try (ByteSource s = open(content)) {
      ExecutorService pool = Executors.newFixedThreadPool(8);
      try {
        List<Future<?>> futures = new ArrayList<>();
        for (int t = 0; t < 8; t++) {
          long seed = t;
          futures.add(
              pool.submit(
                  () -> {
                    Random r = new Random(seed);
                    for (int i = 0; i < 300; i++) {
                      int pos = r.nextInt(content.length - 65536);
                      int len = 1 + r.nextInt(65536);
                      ByteBuffer dst = ByteBuffer.allocate(len);
                      s.readFully(pos, dst);
                      if (!Arrays.equals(
                          dst.array(), Arrays.copyOfRange(content, pos, pos + len))) {
                        throw new AssertionError("wrong bytes at " + pos + "+" + len);
                      }
                    }
                    return null;
                  }));
        }
        for (Future<?> f : futures) {
          f.get();
        }
      } finally {
        pool.shutdownNow();
      }
    }
  }

  @Test
  void readAfterCloseFails() throws IOException {
    ByteSource s = open(randomBytes(100, 8));
    s.close();
    assertThrows(IOException.class, () -> s.readFully(0, ByteBuffer.allocate(10)));
  }

  @Test
  void viewsWhenOfferedHoldExactlyTheRange() throws IOException {
    byte[] content = randomBytes(200_000, 10);
    try (ByteSource s = open(content)) {
      Random r = new Random(11);
      for (int i = 0; i < 200; i++) {
        int pos = r.nextInt(content.length);
        int len = r.nextInt(content.length - pos + 1);
        ByteBuffer v = s.view(pos, len);
        if (v == null) {
          continue;
        }
        try {
          assertEquals(len, v.remaining());
          byte[] got = new byte[len];
          v.get(got);
          assertArrayEquals(Arrays.copyOfRange(content, pos, pos + len), got);
        } finally {
          s.release(v);
        }
      }
      ByteBuffer one = s.view(0, 1);
      if (one != null) {
        s.release(one);
        assertThrows(java.io.EOFException.class, () -> s.view(content.length - 1, 2));
        assertThrows(IllegalArgumentException.class, () -> s.view(-1, 1));
      }
    }
  }

  @Test
  void viewAfterCloseFailsIfViewsAreOffered() throws IOException {
    ByteSource s = open(randomBytes(100, 12));
    ByteBuffer v = s.view(0, 10);
    boolean offersViews = v != null;
    if (offersViews) {
      s.release(v);
    }
    s.close();
    if (offersViews) {
      assertThrows(IOException.class, () -> s.view(0, 10));
    }
  }

  @Test
  void describeNamesTheSource() throws IOException {
    try (ByteSource s = open(randomBytes(1, 9))) {
      assertEquals(false, s.describe().isBlank());
    }
  }
}
