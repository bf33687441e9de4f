package dev.cairn.bench;

import dev.cairn.crypto.Aead;
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
 * AES-256-GCM on one 64 KiB block, sealing and opening, direct buffers as on the read path: what
 * an encrypted block costs on top of a plain one, through libcrypto ({@code engine=openssl}, what
 * Cairn uses) and through the JDK's provider ({@code engine=jdk}, the fallback). Run it with both
 * JIT tiers ({@code scripts/bench/jmh.sh AeadBenchmark}) and with C1 only as the serving process and
 * {@code pack} run ({@code scripts/bench/jmh.sh AeadBenchmark -jvmArgsAppend
 * -XX:TieredStopAtLevel=1}): the JDK's needs C2's intrinsics, libcrypto does not.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class AeadBenchmark {
  private static final int BLOCK = 64 << 10;

  @Param({"openssl", "jdk"})
  public String engine;

  private Aead aead;
  private final byte[] nonce = new byte[12];
  private final byte[] aad = new byte[28];
  private ByteBuffer plain;
  private ByteBuffer sealed;
  private ByteBuffer opened;
  private long counter;

  @Setup
  public void setUp() {
    // the switch Aead reads when it picks its engine (dev.cairn.config.Tuning)
    System.setProperty("cairn.crypto", engine);
    byte[] key = new byte[32];
    new Random(1).nextBytes(key);
    aead = Aead.of(key);
    if (!aead.implementation().equals(engine)) {
      throw new IllegalStateException("wanted " + engine + ", got " + aead.implementation());
    }
    plain = ByteBuffer.allocateDirect(BLOCK);
    byte[] data = new byte[BLOCK];
    new Random(2).nextBytes(data);
    plain.put(data).flip();
    sealed = ByteBuffer.allocateDirect(BLOCK + Aead.TAG_LENGTH);
    opened = ByteBuffer.allocateDirect(BLOCK);
    aead.seal(nonce, aad, plain.duplicate(), sealed);
    sealed.flip();
  }

  /** Seals one block under a fresh nonce (the writer's cost per block). */
  @Benchmark
  public int seal64k() {
    long n = ++counter;
    for (int i = 0; i < 8; i++) {
      nonce[4 + i] = (byte) (n >>> (8 * i));
    }
    ByteBuffer out = sealedScratch();
    aead.seal(nonce, aad, plain.duplicate(), out);
    return out.position();
  }

  /** Opens one sealed block (the reader's cost per block). */
  @Benchmark
  public boolean open64k() {
    java.util.Arrays.fill(nonce, (byte) 0);
    opened.clear();
    return aead.open(nonce, aad, sealed.duplicate(), opened);
  }

  private ByteBuffer scratch;

  private ByteBuffer sealedScratch() {
    if (scratch == null) {
      scratch = ByteBuffer.allocateDirect(BLOCK + Aead.TAG_LENGTH);
    }
    return scratch.clear();
  }
}
