package dev.cairn.read;

import dev.cairn.codec.Decompressor;
import java.nio.ByteBuffer;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * A reusable working area for one block load: direct buffers for the stored bytes and for one
 * decompressed block, and a decompressor. Pooled rather than thread-local because libfuse creates
 * and destroys its worker threads all the time; a thread-local would allocate native buffers for
 * every new thread. Not thread-safe: a thread takes one from the {@link Pool}, uses it, and gives
 * it back.
 */
final class Scratch {
  final ByteBuffer stored;
  final ByteBuffer block;
  final Decompressor decompressor;

  /** Where a sealed block's stored bytes are opened to (empty when the snapshot is plain). */
  final ByteBuffer opened;

  /** Stored bytes the byte source lent for the load under way, to release after it; or null. */
  ByteBuffer view;

  Scratch(int storedCapacity, int blockSize, Decompressor decompressor, boolean sealed) {
    this.stored = ByteBuffer.allocateDirect(storedCapacity);
    this.opened = ByteBuffer.allocateDirect(sealed ? storedCapacity : 0);
    this.block = ByteBuffer.allocateDirect(blockSize);
    this.decompressor = decompressor;
  }

  /** A bounded pool of scratch areas. Thread-safe. */
  static final class Pool {
    private final ConcurrentLinkedQueue<Scratch> idle = new ConcurrentLinkedQueue<>();
    private final AtomicInteger idleCount = new AtomicInteger();
    private final Supplier<Scratch> factory;
    private final int maxIdle;

    Pool(Supplier<Scratch> factory, int maxIdle) {
      this.factory = factory;
      this.maxIdle = maxIdle;
    }

    Scratch take() {
      Scratch s = idle.poll();
      if (s == null) {
        return factory.get();
      }
      idleCount.decrementAndGet();
      return s;
    }

    void give(Scratch s) {
      if (idleCount.incrementAndGet() <= maxIdle) {
        idle.offer(s);
      } else {
        idleCount.decrementAndGet();
        s.decompressor.close();
      }
    }

    void close() {
      Scratch s;
      while ((s = idle.poll()) != null) {
        s.decompressor.close();
      }
    }
  }
}
