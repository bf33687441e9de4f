package dev.cairn.bench;

import dev.cairn.crypto.BlockDigest;
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
 * The digest a verified read computes over one 64 KiB block's stored bytes (a direct buffer, as on
 * the read path), to choose between SHA-256 and BLAKE3 for issue 13 from measurement: SHA-256
 * through libcrypto ({@code engine=openssl}, what {@link BlockDigest} picks where it loads) and
 * through the JDK ({@code engine=jdk}, the fallback), BLAKE3-256 through Bouncy Castle ({@code
 * engine=bc}, pure Java). Run it with both JIT tiers ({@code scripts/bench/jmh.sh DigestBenchmark})
 * and with C1 only as the serving process runs ({@code scripts/bench/jmh.sh DigestBenchmark
 * -jvmArgsAppend -XX:TieredStopAtLevel=1}): the JDK's SHA-256 needs C2's intrinsics, libcrypto does
 * not, and Bouncy Castle's BLAKE3 is plain Java either way.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class DigestBenchmark {
  private static final int BLOCK = 64 << 10;

  @Param({"openssl", "jdk", "bc"})
  public String engine;

  private BlockDigest digest;
  private ByteBuffer block;
  private final byte[] out = new byte[BlockDigest.LENGTH];

  @Setup
  public void setUp() {
    if (engine.equals("bc")) {
      digest = BlockDigest.of(BlockDigest.Algorithm.BLAKE3);
    } else {
      // the switch BlockDigest reads when it picks its SHA-256 engine (dev.cairn.config.Tuning)
      System.setProperty("cairn.crypto", engine);
      digest = BlockDigest.of(BlockDigest.Algorithm.SHA256);
    }
    if (!digest.implementation().equals(engine)) {
      throw new IllegalStateException("wanted " + engine + ", got " + digest.implementation());
    }
    byte[] data = new byte[BLOCK];
    new Random(1).nextBytes(data);
    block = ByteBuffer.allocateDirect(BLOCK).put(data).flip();
  }

  /** Hashes one block (a verified read's cost per block fetched). */
  @Benchmark
  public byte[] digest64k() {
    digest.digest(block.duplicate(), out, 0);
    return out;
  }
}
