package dev.cairn.source;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cairn.error.SourceChangedException;
import dev.cairn.fixture.ChildJvm;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.zip.CRC32C;
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
        s.release(v);
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
          s.release(v);
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

  /**
   * A directory on the root disk: leases need a file system that has them (checked by the tests
   * through {@link MappedByteSource#open}, which refuses to map without a lease).
   */
  private static Path leaseDir() throws IOException {
    return Files.createTempDirectory(Files.createDirectories(Path.of("target")), "lease");
  }

  @Test
  void aFileTruncatedByAnotherProcessFailsReadsAndNeverEndsTheProcess() throws Exception {
    Path d = leaseDir();
    Path f = Files.write(d.resolve("shrinks"), randomBytes(32 << 20, 16));
    int chunk = 1 << 20;
    try (MappedByteSource s = MappedByteSource.open(f)) {
      AtomicReference<Throwable> failure = new AtomicReference<>();
      AtomicLong passes = new AtomicLong();
      Thread reader =
          new Thread(
              () -> {
                // CRC32C runs as an intrinsic straight over the mapping, as the read path does
                CRC32C crc = new CRC32C();
                ByteBuffer copy = ByteBuffer.allocateDirect(chunk);
                try {
                  while (true) {
                    for (long at = 0; at + chunk <= s.size(); at += chunk) {
                      ByteBuffer v = s.view(at, chunk);
                      if (v == null) {
                        s.readFully(at, copy.clear());
                        crc.update(copy.flip());
                      } else {
                        try {
                          crc.update(v);
                        } finally {
                          s.release(v);
                        }
                      }
                    }
                    passes.incrementAndGet();
                  }
                } catch (Throwable t) {
                  failure.set(t);
                }
              },
              "mapped-reader");
      reader.start();
      while (passes.get() == 0 && reader.isAlive()) {
        Thread.sleep(1);
      }
      try (ChildJvm child = ChildJvm.start(TruncateMain.class, f.toString(), "1048576")) {
        String line = child.awaitLine("TRUNCATED", 60);
        assertEquals(0, child.waitFor(30));
        long millis = Long.parseLong(line.substring("TRUNCATED ".length()));
        assertTrue(millis < 1000, "the writer waited " + millis + " ms for the lease");
      }
      reader.join(30_000);
      assertFalse(reader.isAlive());
      Throwable t = failure.get();
      assertInstanceOf(SourceChangedException.class, t, String.valueOf(t));
      assertEquals(f + ": file changed by another process while open", t.getMessage());
      assertEquals(1 << 20, Files.size(f));
      assertFalse(s.isMapped());
      assertNull(s.view(0, 4096));
      // Bytes still in the file fail too: the reader cannot tell a truncation from a rewrite.
      SourceChangedException e =
          assertThrows(SourceChangedException.class, () -> s.readFully(0, ByteBuffer.allocate(10)));
      assertEquals(f + ": file changed by another process while open", e.getMessage());
    } finally {
      Files.deleteIfExists(f);
      Files.delete(d);
    }
  }

  @Test
  void aWriterThatGivesUpLeavesPositionalReadsByteExact() throws Exception {
    Path d = leaseDir();
    byte[] content = randomBytes(4 << 20, 17);
    Path f = Files.write(d.resolve("kept"), content);
    try (MappedByteSource s = MappedByteSource.open(f)) {
      assertTrue(s.isMapped());
      // coreutils truncate opens with O_NONBLOCK: the lease makes it fail, and the file is intact
      Process p =
          new ProcessBuilder("truncate", "-s", "1M", f.toString())
              .redirectErrorStream(true)
              .start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertEquals(1, p.waitFor());
      assertEquals(
          "truncate: cannot open '" + f + "' for writing: Resource temporarily unavailable\n", out);
      long deadline = System.nanoTime() + 5_000_000_000L;
      while (s.isMapped() && System.nanoTime() < deadline) {
        Thread.sleep(1);
      }
      assertFalse(s.isMapped());
      assertNull(s.view(0, 4096));
      ByteBuffer all = ByteBuffer.allocate(content.length);
      s.readFully(0, all);
      assertArrayEquals(content, all.array());
    } finally {
      Files.deleteIfExists(f);
      Files.delete(d);
    }
  }

  @Test
  void aFileOpenForWritingIsNotMapped() throws IOException {
    Path f = localFile(randomBytes(5000, 18));
    try (FileChannel w = FileChannel.open(f, StandardOpenOption.WRITE)) {
      // no read lease while a writer has it open: positional reads, never a mapping
      assertNull(MappedByteSource.tryOpen(f));
      try (ByteSource s = ByteSource.openLocal(f)) {
        assertInstanceOf(FileByteSource.class, s);
        ByteBuffer b = ByteBuffer.allocate(5000);
        s.readFully(0, b);
        assertArrayEquals(Files.readAllBytes(f), b.array());
      }
      FileSystemException e =
          assertThrows(FileSystemException.class, () -> MappedByteSource.open(f));
      assertEquals(f + ": cannot take a read lease on it, so it is not mapped", e.getMessage());
    }
  }

  @Test
  void theLeaseWatcherIsADaemonThatEndsWithTheLastSource() throws Exception {
    Path f = localFile(randomBytes(5000, 19));
    try (MappedByteSource s = MappedByteSource.open(f)) {
      Thread w = watcher();
      assertNotNull(w);
      assertTrue(w.isDaemon());
    }
    long deadline = System.nanoTime() + 5_000_000_000L;
    while (watcher() != null && System.nanoTime() < deadline) {
      Thread.sleep(5);
    }
    assertNull(watcher());
  }

  @Test
  void closeWaitsForTheViewsInUse() throws Exception {
    byte[] content = randomBytes(100_000, 20);
    MappedByteSource s = (MappedByteSource) open(content);
    ByteBuffer v = s.view(1000, 5000);
    Thread closer =
        new Thread(
            () -> {
              try {
                s.close();
              } catch (IOException e) {
                throw new UncheckedIOException(e);
              }
            });
    closer.start();
    closer.join(200);
    assertTrue(closer.isAlive(), "close returned while a view was in use");
    assertThrows(java.nio.channels.ClosedChannelException.class, () -> s.view(0, 10));
    byte[] got = new byte[5000];
    v.get(got);
    assertArrayEquals(java.util.Arrays.copyOfRange(content, 1000, 6000), got);
    s.release(v);
    closer.join(5000);
    assertFalse(closer.isAlive(), "close still waiting after the view was released");
  }

  private static Thread watcher() {
    return Thread.getAllStackTraces().keySet().stream()
        .filter(t -> t.getName().equals("cairn-lease-watcher") && t.isAlive())
        .findFirst()
        .orElse(null);
  }
}
