package dev.cairn.overlay;

import dev.cairn.delta.DeltaStore;
import dev.cairn.read.StreamReader;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The write side of an {@link OverlayImage}: stores a byte range at any offset as whole chunks of
 * its {@link DeltaStore}. A chunk the range covers only in part is read first (from the store, or
 * from the base where the store lacks it), patched and stored whole; runs of whole chunks go to the
 * store in one call.
 *
 * <p><b>Thread safety:</b> thread-safe. Striped chunk locks make each chunk's read-modify-write
 * atomic, so two partial writes into one chunk never lose each other's bytes. The caller holds the
 * store's gate shared and has raised the logical size over the range first.
 */
final class ChunkWriter {
  private static final int STRIPES = 256;

  /** The most whole chunks one {@link DeltaStore#writeRun} call takes (1 MiB of 4 KiB chunks). */
  private static final int MAX_RUN_CHUNKS = 256;

  private final DeltaStore store;
  private final StreamReader base;
  private final long baseSize;
  private final int chunkSize;
  private final int chunkShift;
  private final ReentrantLock[] stripes = new ReentrantLock[STRIPES];
  private final ThreadLocal<ByteBuffer> scratch;

  ChunkWriter(DeltaStore store, StreamReader base, long baseSize) {
    this.store = store;
    this.base = base;
    this.baseSize = baseSize;
    this.chunkSize = store.chunkSize();
    this.chunkShift = Integer.numberOfTrailingZeros(chunkSize);
    this.scratch = ThreadLocal.withInitial(() -> ByteBuffer.allocate(chunkSize));
    for (int i = 0; i < STRIPES; i++) {
      stripes[i] = new ReentrantLock();
    }
  }

  /** Stores {@code src}'s remaining bytes at {@code offset} and advances it to its limit. */
  void write(long offset, ByteBuffer src) throws IOException {
    int len = src.remaining();
    int start = src.position();
    int limit = src.limit();
    try {
      int done = 0;
      while (done < len) {
        long pos = offset + done;
        long chunk = pos >>> chunkShift;
        int in = (int) (pos & (chunkSize - 1));
        int n = Math.min(chunkSize - in, len - done);
        if (in == 0 && len - done >= 2 * chunkSize) {
          int count = Math.min((len - done) >>> chunkShift, MAX_RUN_CHUNKS);
          writeRun(chunk, src.slice(start + done, count << chunkShift));
          done += count << chunkShift;
          continue;
        }
        ReentrantLock stripe = stripe(chunk);
        stripe.lock();
        try {
          if (n == chunkSize) {
            src.limit(start + done + n).position(start + done);
            store.write(chunk, src);
            src.limit(limit);
          } else {
            ByteBuffer buf = scratch.get();
            buf.clear();
            loadChunk(chunk, buf);
            buf.put(in, src, start + done, n);
            buf.clear();
            store.write(chunk, buf);
          }
        } finally {
          stripe.unlock();
        }
        done += n;
      }
    } finally {
      src.limit(limit);
    }
    src.position(start + len);
  }

  /**
   * Stores whole chunks from {@code firstChunk} on in one go, holding the stripe locks of all of
   * them (taken in stripe order, so two runs never deadlock).
   */
  private void writeRun(long firstChunk, ByteBuffer run) throws IOException {
    int count = run.remaining() >>> chunkShift;
    boolean[] held = new boolean[STRIPES];
    for (int i = 0; i < count; i++) {
      held[stripeIndex(firstChunk + i)] = true;
    }
    int locked = 0;
    try {
      for (; locked < STRIPES; locked++) {
        if (held[locked]) {
          stripes[locked].lock();
        }
      }
      store.writeRun(firstChunk, run);
    } finally {
      for (int i = locked - 1; i >= 0; i--) {
        if (held[i]) {
          stripes[i].unlock();
        }
      }
    }
  }

  /** Fills {@code buf} (a whole chunk) with the chunk's current bytes. */
  private void loadChunk(long chunk, ByteBuffer buf) throws IOException {
    if (!store.read(chunk, 0, buf)) {
      LayeredRead.fillFromBase(base, baseSize, chunk << chunkShift, buf, 0, chunkSize);
    }
    buf.clear();
  }

  private ReentrantLock stripe(long chunk) {
    return stripes[stripeIndex(chunk)];
  }

  private static int stripeIndex(long chunk) {
    return (int) (chunk ^ (chunk >>> 20)) & (STRIPES - 1);
  }
}
