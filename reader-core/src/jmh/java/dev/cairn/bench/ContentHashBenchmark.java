package dev.cairn.bench;

import dev.cairn.format.ContentHasher;
import dev.cairn.format.HashAlgorithm;
import java.nio.ByteBuffer;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The content hash of one 64 KiB block in a direct buffer, as the writer computes it for every
 * stored block: format 1.0's SHA-256 (the CPU's SHA extensions through the JDK's intrinsic) against
 * format 1.1's XXH3-128. Run with {@code scripts/bench/jmh.sh ContentHash}; add {@code -jvmArgs
 * -XX:TieredStopAtLevel=1} for the tier-1 JIT that plain packs run at.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class ContentHashBenchmark {
  @Param({"SHA256_128", "XXH3_128"})
  public String algorithm;

  private ContentHasher hasher;
  private ByteBuffer block;

  @Setup
  public void setUp() {
    hasher = HashAlgorithm.valueOf(algorithm).newHasher();
    byte[] b = new byte[64 << 10];
    new Random(1).nextBytes(b);
    block = ByteBuffer.allocateDirect(b.length).put(b).flip();
  }

  /** Blocks per second; times 64 KiB for bytes per second. */
  @Benchmark
  public byte[] hash64k() {
    return hasher.hash(block);
  }
}
