package dev.cairn.bench;

import dev.cairn.crypto.KeyRing;
import dev.cairn.crypto.KeySource;
import dev.cairn.format.CodecType;
import dev.cairn.read.BlockCache;
import dev.cairn.read.ReadStats;
import dev.cairn.read.Snapshot;
import dev.cairn.read.StreamReader;
import dev.cairn.source.FileByteSource;
import dev.cairn.write.Pack;
import dev.cairn.write.WriterOptions;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The read path's hot spots, on a 64 MiB snapshot of compressible data (the file stays in the page
 * cache, so this measures Cairn's CPU cost, not the disk):
 *
 * <ul>
 *   <li>{@code cachedRead4k}: a 4 KiB read whose block is in the block cache — index lookup plus
 *       one copy, what a random-read workload pays on every hit;
 *   <li>{@code wholeBlockRead}: a whole-block read into a direct buffer with the cache bypassed —
 *       pread, CRC32C and decompression straight into the destination, what a cold sequential
 *       read through FUSE pays per block;
 *   <li>{@code uncachedRead4k}: a 4 KiB read of a block not yet cached — load, decompress into
 *       the cache, copy.
 * </ul>
 *
 * Each runs on a plain snapshot and on one sealed with AES-256-GCM ({@code encrypted=true}), whose
 * reads add opening the sealed bytes (and, on a miss of an index page, its entries).
 *
 * <p>Run with {@code scripts/bench/jmh.sh}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class ReadPathBenchmark {
  @Param({"lz4", "zstd"})
  public String codec;

  @Param({"false", "true"})
  public boolean encrypted;

  private Path dir;
  private Snapshot snapshot;
  private StreamReader stream;
  private Snapshot uncachedSnapshot;
  private StreamReader uncached;
  private ByteBuffer small;
  private ByteBuffer block;
  private ByteBuffer span;
  private long[] offsets;
  private int next;

  @Setup(Level.Trial)
  public void setUp() throws IOException {
    dir = Files.createTempDirectory("cairn-jmh");
    Path input = dir.resolve("input.img");
    byte[] data = new byte[64 << 20];
    Random r = new Random(1);
    // Text-like content: runs of a small alphabet compress about 3:1, like a filesystem image.
    for (int i = 0; i < data.length; i++) {
      data[i] = (byte) ('a' + (r.nextInt(16) == 0 ? r.nextInt(26) : i % 7));
    }
    Files.write(input, data);
    Path snap = dir.resolve("bench.cairn");
    CodecType type = CodecType.valueOf(codec.toUpperCase(java.util.Locale.ROOT));
    KeyRing keys =
        KeyRing.of(List.of(new KeySource.KeyFile("key file bench.key", new byte[32])));
    WriterOptions options = WriterOptions.defaults().withCodec(type, type.defaultLevel());
    if (encrypted) {
      options = options.withSealing(keys.newSealing(new SecureRandom()));
    }
    Pack.run(List.of(new Pack.Input(input, "input.img")), snap, options, b -> {});
    snapshot =
        Snapshot.open(
            FileByteSource.open(snap), BlockCache.withCapacity(256 << 20), new ReadStats(), keys);
    stream = snapshot.stream(0);
    // A cache of capacity zero keeps nothing: every read loads and decompresses its block.
    uncachedSnapshot =
        Snapshot.open(FileByteSource.open(snap), BlockCache.withCapacity(0), new ReadStats(), keys);
    uncached = uncachedSnapshot.stream(0);
    small = ByteBuffer.allocateDirect(4096);
    block = ByteBuffer.allocateDirect(stream.blockSize());
    span = ByteBuffer.allocateDirect(128 << 10);
    offsets = new long[4096];
    for (int i = 0; i < offsets.length; i++) {
      offsets[i] = (r.nextLong() & Long.MAX_VALUE) % (stream.size() - 4096);
    }
    for (long off = 0; off < stream.size(); off += 4096) {
      small.clear();
      stream.read(off, small); // warm the block cache for cachedRead4k
    }
  }

  @TearDown(Level.Trial)
  public void tearDown() throws IOException {
    snapshot.close();
    uncachedSnapshot.close();
    try (var s = Files.list(dir)) {
      for (Path p : s.toList()) {
        Files.delete(p);
      }
    }
    Files.delete(dir);
  }

  @Benchmark
  public int cachedRead4k() throws IOException {
    small.clear();
    return stream.read(offsets[next++ & 4095], small);
  }

  /** A 128 KiB read across two or three cached blocks, as the kernel's read-ahead asks for. */
  @Benchmark
  public int cachedRead128k() throws IOException {
    span.clear();
    return stream.read(offsets[next++ & 4095] % (stream.size() - span.capacity()), span);
  }

  @Benchmark
  public int wholeBlockRead() throws IOException {
    long b = (offsets[next++ & 4095] / uncached.blockSize()) * uncached.blockSize();
    block.clear();
    return uncached.read(b, block);
  }

  @Benchmark
  public int uncachedRead4k() throws IOException {
    small.clear();
    return uncached.read(offsets[next++ & 4095], small);
  }
}
