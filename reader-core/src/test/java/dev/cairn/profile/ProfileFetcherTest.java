package dev.cairn.profile;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cairn.format.BlockKind;
import dev.cairn.format.CodecType;
import dev.cairn.os.BackgroundPriority;
import dev.cairn.read.Snapshot;
import dev.cairn.read.StreamReader;
import dev.cairn.source.ByteSource;
import dev.cairn.testing.Fixture;
import dev.cairn.testing.MemoryByteSource;
import dev.cairn.testing.Snapshots;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;

class ProfileFetcherTest {
  /** The calling thread's nice value: field 19 of its stat, counted from after the name. */
  private static int niceOfThisThread() throws IOException {
    String stat = Files.readString(Path.of("/proc/thread-self/stat"));
    return Integer.parseInt(stat.substring(stat.lastIndexOf(')') + 2).split(" ")[19 - 3]);
  }

  /**
   * A source that remembers the position (and length) of every read and prefetch; a prefetch reads
   * the bytes, as a caching source's does.
   */
  private static class Recording implements ByteSource {
    final MemoryByteSource inner;
    final List<Long> reads = Collections.synchronizedList(new ArrayList<>());
    final List<long[]> ranges = Collections.synchronizedList(new ArrayList<>());

    /** The nice value of each fetch thread that read, as the kernel reports it. */
    final List<Integer> fetchNice = Collections.synchronizedList(new ArrayList<>());

    /** Whether one read covered the {@code length} bytes at {@code position}. */
    boolean covered(long position, int length) {
      synchronized (ranges) {
        return ranges.stream().anyMatch(r -> r[0] <= position && position + length <= r[1]);
      }
    }

    void clear() {
      fetchNice.clear();
      reads.clear();
      ranges.clear();
    }

    Recording(byte[] file) {
      inner = new MemoryByteSource(file, "recorded");
    }

    @Override
    public long size() {
      return inner.size();
    }

    @Override
    public void readFully(long position, ByteBuffer dst) throws IOException {
      if (Thread.currentThread().getName().equals("cairn-profile-fetch")) {
        fetchNice.add(niceOfThisThread());
      }
      reads.add(position);
      ranges.add(new long[] {position, position + dst.remaining()});
      inner.readFully(position, dst);
    }

    @Override
    public void prefetch(long position, int length) throws IOException {
      readFully(position, ByteBuffer.allocate(length));
    }

    @Override
    public String describe() {
      return inner.describe();
    }

    @Override
    public void close() {}
  }

  @Test
  void fetchesTheProfilesBlocksInItsOrderThenTheRest() throws Exception {
    Snapshots.Written w = Fixture.write(CodecType.LZ4);
    Recording source = new Recording(w.file());
    try (Snapshot s = Snapshots.open(source, 1 << 20)) {
      StreamReader primary = s.stream(0);
      List<Long> dataBlocks = new ArrayList<>();
      for (long b = 0; b < primary.blockCount(); b++) {
        if (primary.entry(b).kind().hasData()) {
          dataBlocks.add(b);
        }
      }
      assertTrue(dataBlocks.size() > 6, "the fixture has data blocks");
      long x = dataBlocks.get(5);
      long y = dataBlocks.get(1);
      AccessProfile p =
          AccessProfile.of(
              s.header().snapshotId(),
              List.of(
                  new AccessProfile.Run(0, x, 1),
                  new AccessProfile.Run(0, y, 1),
                  new AccessProfile.Run(0, primary.blockCount() + 5, 3))); // past the end
      source.clear();
      ProfileFetcher f = ProfileFetcher.start(s.streams(), p, ProfileFetcher.Mode.PROFILE, 1);
      assertTrue(f.await(10_000));
      List<Long> expected = new ArrayList<>();
      for (long b : new long[] {x, y}) {
        expected.add(primary.entry(b).offset());
      }
      assertEquals(expected, source.reads, "stored bytes of x, then y, and nothing else");
      assertEquals(
          List.of(BackgroundPriority.NICE, BackgroundPriority.NICE),
          source.fetchNice,
          "fetched at the lowest CPU priority");
      ProfileFetcher.Stats st = f.stats();
      assertEquals(2, st.fetchedBlocks());
      assertEquals(
          primary.entry(x).storedLength() + primary.entry(y).storedLength(), st.fetchedBytes());
      assertTrue(st.done());
      assertNull(st.error());

      source.clear();
      ProfileFetcher all = ProfileFetcher.start(s.streams(), p, ProfileFetcher.Mode.ALL, 1);
      assertTrue(all.await(10_000));
      assertEquals(expected, source.reads.subList(0, 2), "the profile first");
      assertTrue(all.stats().done());
      // every data block's stored bytes were read
      for (StreamReader r : s.streams()) {
        for (long b = 0; b < r.blockCount(); b++) {
          if (r.entry(b).kind().hasData()) {
            assertTrue(
                source.covered(r.entry(b).offset(), r.entry(b).storedLength()), "block " + b);
          }
        }
      }
      // and reads still return the right bytes
      assertArrayEquals(w.inputs().get(0), Snapshots.readAll(primary));
    }
  }

  @Test
  void severalThreadsFetchEveryBlockOnce() throws Exception {
    Snapshots.Written w = Fixture.write(CodecType.LZ4);
    Recording source = new Recording(w.file());
    try (Snapshot s = Snapshots.open(source, 1 << 20)) {
      AccessProfile p =
          AccessProfile.of(
              s.header().snapshotId(),
              List.of(new AccessProfile.Run(0, 3, 5), new AccessProfile.Run(1, 0, 1)));
      long total = 0;
      long storedBytes = 0;
      for (StreamReader r : s.streams()) { // loads every index page first
        total += r.blockCount();
        for (long b = 0; b < r.blockCount(); b++) {
          if (r.entry(b).kind().hasData()) {
            storedBytes += r.entry(b).storedLength();
          }
        }
      }
      source.clear();
      ProfileFetcher f = ProfileFetcher.start(s.streams(), p, ProfileFetcher.Mode.ALL, 4);
      assertTrue(f.await(10_000));
      for (StreamReader r : s.streams()) {
        for (long b = 0; b < r.blockCount(); b++) {
          if (r.entry(b).kind().hasData()) {
            assertTrue(
                source.covered(r.entry(b).offset(), r.entry(b).storedLength()), "block " + b);
          }
        }
      }
      long read = source.ranges.stream().mapToLong(x -> x[1] - x[0]).sum();
      assertEquals(storedBytes, read, "no block fetched twice");
      assertTrue(
          source.ranges.size() < total, "adjacent blocks in one read: " + source.ranges.size());
      assertEquals(total, f.stats().fetchedBlocks(), "the profile's 6, then the others");
      assertTrue(f.stats().done());
    }
  }

  @Test
  void aShortRunIsFetchedWithTheProfilesBlocksBesideItInOneRead() throws Exception {
    Snapshots.Written w = Fixture.write(CodecType.LZ4);
    Recording source = new Recording(w.file());
    try (Snapshot s = Snapshots.open(source, 1 << 20)) {
      StreamReader primary = s.stream(0);
      // blocks 4 and 5 (text, random) share an index page and lie side by side; 12 is far off
      assertTrue(primary.entry(4).kind().hasData() && primary.entry(5).kind().hasData());
      assertEquals(
          primary.entry(4).offset() + primary.entry(4).storedLength(), primary.entry(5).offset());
      assertTrue(primary.entry(12).kind().hasData());
      AccessProfile p =
          AccessProfile.of(
              s.header().snapshotId(),
              List.of(
                  new AccessProfile.Run(0, 5, 1),
                  new AccessProfile.Run(0, 12, 1),
                  new AccessProfile.Run(0, 4, 1)));
      source.clear();
      ProfileFetcher f = ProfileFetcher.start(s.streams(), p, ProfileFetcher.Mode.PROFILE, 1);
      assertTrue(f.await(10_000));
      assertEquals(
          List.of(primary.entry(4).offset(), primary.entry(12).offset()),
          source.reads,
          "5 with 4 (which the profile reads last) in one read, then 12");
      assertEquals(
          primary.entry(5).offset() + primary.entry(5).storedLength(), source.ranges.get(0)[1]);
      assertEquals(
          primary.entry(12).storedLength(), source.ranges.get(1)[1] - source.ranges.get(1)[0]);
      assertEquals(3, f.stats().fetchedBlocks());
      assertTrue(f.stats().done());

      // 4 to 7 share a page; 6 is a zero block, which stores nothing, so 4, 5 and 7 lie side by
      // side
      assertEquals(BlockKind.ZERO, primary.entry(6).kind());
      assertEquals(
          primary.entry(5).offset() + primary.entry(5).storedLength(), primary.entry(7).offset());
      source.clear();
      AccessProfile run =
          AccessProfile.of(s.header().snapshotId(), List.of(new AccessProfile.Run(0, 4, 4)));
      f = ProfileFetcher.start(s.streams(), run, ProfileFetcher.Mode.PROFILE, 1);
      assertTrue(f.await(10_000));
      assertEquals(1, source.ranges.size(), "one read over the zero block");
      assertEquals(primary.entry(4).offset(), source.ranges.get(0)[0]);
      assertEquals(
          primary.entry(7).offset() + primary.entry(7).storedLength(), source.ranges.get(0)[1]);
    }
  }

  @Test
  void aClosedFetcherStopsAndAFailingSourceEndsItWithAnError() throws Exception {
    Snapshots.Written w = Fixture.write(CodecType.LZ4);
    java.util.concurrent.CountDownLatch reading = new java.util.concurrent.CountDownLatch(1);
    java.util.concurrent.CountDownLatch gate = new java.util.concurrent.CountDownLatch(1);
    Recording held =
        new Recording(w.file()) {
          @Override
          public void readFully(long position, ByteBuffer dst) throws IOException {
            if (Thread.currentThread().getName().equals("cairn-profile-fetch")) {
              reading.countDown();
              try {
                gate.await();
              } catch (InterruptedException e) {
                throw new IOException(e);
              }
            }
            super.readFully(position, dst);
          }
        };
    try (Snapshot s = Snapshots.open(held, 1 << 20)) {
      List<Long> data = new ArrayList<>();
      for (long b = 0; b < s.stream(0).blockCount() && data.size() < 3; b++) {
        // none beside another, so that each is a take of its own
        if (s.stream(0).entry(b).kind().hasData()
            && (data.isEmpty() || data.get(data.size() - 1) < b - 1)) {
          data.add(b);
        }
      }
      AccessProfile three =
          AccessProfile.of(
              s.header().snapshotId(),
              List.of(
                  new AccessProfile.Run(0, data.get(0), 1),
                  new AccessProfile.Run(0, data.get(1), 1),
                  new AccessProfile.Run(0, data.get(2), 1)));
      ProfileFetcher f = ProfileFetcher.start(s.streams(), three, ProfileFetcher.Mode.ALL, 1);
      assertTrue(reading.await(10, java.util.concurrent.TimeUnit.SECONDS));
      f.close();
      gate.countDown();
      assertTrue(f.await(10_000));
      assertEquals(1, f.stats().fetchedBlocks(), "the block in flight, then nothing");
      assertTrue(!f.stats().done());
    }
    MemoryByteSource failing = new MemoryByteSource(w.file(), "failing");
    Snapshot s = Snapshots.open(failing, 1 << 20);
    AccessProfile p =
        AccessProfile.of(
            s.header().snapshotId(),
            List.of(new AccessProfile.Run(0, 0, (int) s.stream(0).blockCount())));
    s.close(); // the source is closed: every read fails
    ProfileFetcher f = ProfileFetcher.start(s.streams(), p, ProfileFetcher.Mode.PROFILE, 1);
    assertTrue(f.await(10_000));
    assertTrue(f.stats().error() != null, "stopped with an error");
    assertTrue(!f.stats().done());
  }
}
