package dev.cairn.source;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * The whole chunks of one remote object a {@link ChunkCachingSource} holds, and their loading: each
 * chunk is loaded once, in the foreground by the first reader that misses it (readers of the same
 * chunk meanwhile wait for that load, readers of other chunks not at all), or in the background as
 * coalesced runs on the process's fetch threads within its {@link RemoteLimits}; from the disk
 * cache where it has them, else from the inner source (a chunk fetched is put on disk before
 * readers see it). The last {@value #CHUNKS} chunks stay in memory.
 *
 * <p><b>Thread safety:</b> safe for concurrent use; no lock is held across a load.
 */
final class ChunkLoads {
  private static final int CHUNK = ChunkCachingSource.CHUNK;
  static final int CHUNKS = 16;

  /** Told each chunk installed in memory: its index and length. */
  @FunctionalInterface
  interface Installed {
    void accept(long index, int length);
  }

  private final ByteSource inner;
  private final long size;
  private final DiskChunkCache disk;
  private final RemoteCounters counters;
  private final RemoteLimits limits;
  private final GuardedFetch guarded;
  private final Installed installed;
  private final AtomicReferenceArray<Chunk> chunks = new AtomicReferenceArray<>(CHUNKS);
  private final ConcurrentHashMap<Long, CompletableFuture<byte[]>> loading =
      new ConcurrentHashMap<>();
  private volatile boolean closed;

  ChunkLoads(
      ByteSource inner,
      long size,
      DiskChunkCache disk,
      RemoteCounters counters,
      RemoteLimits limits,
      GuardedFetch guarded,
      Installed installed) {
    this.inner = inner;
    this.size = size;
    this.disk = disk;
    this.counters = counters;
    this.limits = limits;
    this.guarded = guarded;
    this.installed = installed;
  }

  /**
   * Starts loading the chunks {@code indices} (ascending) that no one is loading, as coalesced runs
   * on the fetch threads, waiting for read-ahead budget as need be; {@code loaded} is told each
   * chunk's bytes as it arrives. Returns what to wait on.
   */
  List<CompletableFuture<byte[]>> loadRuns(
      long[] indices, java.util.function.Consumer<byte[]> loaded) throws IOException {
    List<CompletableFuture<byte[]>> pending = new ArrayList<>();
    for (ChunkRuns.Run run : ChunkRuns.of(indices, ChunkCachingSource.MAX_RUN)) {
      long bytes = runBytes(run.first(), run.count());
      limits.reserveAhead(bytes);
      List<Claim> claims = claim(run.first(), run.last());
      for (Claim c : claims) {
        pending.add(
            c.future()
                .whenComplete(
                    (data, e) -> {
                      if (data != null) {
                        loaded.accept(data);
                      }
                    }));
      }
      submit(claims, bytes);
    }
    return pending;
  }

  byte[] inMemory(long index) {
    Chunk c = chunks.get((int) (index % CHUNKS));
    return c != null && c.index() == index ? c.data() : null;
  }

  /**
   * Chunk {@code index} from memory, the disk cache or the inner source, in that order. The first
   * reader of a missing chunk loads it with no lock held; readers of the same chunk meanwhile wait
   * for that load (and share its failure), readers of other chunks do not wait at all.
   */
  byte[] load(long index) throws IOException {
    byte[] data = inMemory(index);
    if (data != null) {
      return data;
    }
    CompletableFuture<byte[]> mine = new CompletableFuture<>();
    CompletableFuture<byte[]> running = loading.putIfAbsent(index, mine);
    if (running != null) {
      return await(running);
    }
    try {
      data = inMemory(index);
      if (data == null) {
        data = loadMissing(index);
      }
      install(index, data);
      mine.complete(data);
      return data;
    } catch (IOException | RuntimeException | Error e) {
      mine.completeExceptionally(e);
      throw e;
    } finally {
      loading.remove(index, mine);
    }
  }

  private void install(long index, byte[] data) {
    chunks.set((int) (index % CHUNKS), new Chunk(index, data));
    installed.accept(index, data.length);
  }

  private byte[] loadMissing(long index) throws IOException {
    long start = index * CHUNK;
    int length = chunkLength(index);
    byte[] data = disk == null ? null : disk.get(index, length);
    if (data != null) {
      counters.diskChunk();
      return data;
    }
    data = guarded.fetch(start, length);
    if (disk != null) {
      disk.put(index, data);
    }
    return data;
  }

  /** The outcome of another thread's load of the same chunk. */
  static byte[] await(CompletableFuture<byte[]> load) throws IOException {
    try {
      return load.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted");
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof IOException io) {
        throw new IOException(io.getMessage(), io);
      }
      if (cause instanceof RuntimeException r) {
        throw r;
      }
      throw (Error) cause;
    }
  }

  /**
   * Starts loading the chunks {@code indices} (ascending) as coalesced runs of at most {@code run}
   * chunks on the fetch threads, as far as the read-ahead budget allows; returns the first chunk of
   * the first run it could not start, or -1 if it started them all.
   */
  long startRuns(long[] indices, int run) {
    for (ChunkRuns.Run r : ChunkRuns.of(indices, run)) {
      long bytes = runBytes(r.first(), r.count());
      if (closed || !limits.tryReserveAhead(bytes)) {
        return r.first();
      }
      List<Claim> claims = claim(r.first(), r.last());
      if (claims.isEmpty()) {
        limits.releaseAhead(bytes);
      } else {
        submit(claims, bytes);
      }
    }
    return -1;
  }

  /** Whether chunk {@code index} is in memory or being loaded. */
  boolean held(long index) {
    return inMemory(index) != null || loading.containsKey(index);
  }

  /** Whether chunks {@code first..last} are all in memory or being loaded. */
  boolean heldAll(long first, long last) {
    for (long c = first; c <= last; c++) {
      if (!held(c)) {
        return false;
      }
    }
    return true;
  }

  /** Drops chunk {@code index} from memory (found wrong; its disk copy is gone already). */
  void forget(long index) {
    int slot = (int) (index % CHUNKS);
    Chunk c = chunks.get(slot);
    if (c != null && c.index() == index) {
      chunks.compareAndSet(slot, c, null);
    }
  }

  /** Loads nothing more in the background (a run under way fails its waiters). */
  void close() {
    closed = true;
  }

  int chunkLength(long index) {
    return ChunkCachingSource.chunkLength(size, index);
  }

  private long runBytes(long first, int count) {
    return Math.min(size, (first + count) * CHUNK) - first * CHUNK;
  }

  /** A chunk this source has taken on to load, and the future its readers wait on. */
  private record Claim(long index, CompletableFuture<byte[]> future) {}

  /** Takes on loading those of chunks {@code first..last} that no one is loading. */
  private List<Claim> claim(long first, long last) {
    List<Claim> out = new ArrayList<>();
    for (long c = first; c <= last; c++) {
      CompletableFuture<byte[]> f = new CompletableFuture<>();
      if (inMemory(c) == null && loading.putIfAbsent(c, f) == null) {
        out.add(new Claim(c, f));
      }
    }
    return out;
  }

  /**
   * Loads the claimed chunks on a fetch thread: from the disk cache where it has them, the rest in
   * coalesced ranged requests; then gives back {@code reserved} bytes of the read-ahead budget.
   */
  private void submit(List<Claim> claims, long reserved) {
    try {
      limits.fetchers().execute(() -> fetchRun(claims, reserved));
    } catch (RuntimeException e) {
      fail(claims, e);
      limits.releaseAhead(reserved);
    }
  }

  private void fetchRun(List<Claim> claims, long reserved) {
    try {
      List<Claim> missing = new ArrayList<>();
      for (Claim c : claims) {
        if (closed) {
          throw new java.nio.channels.ClosedChannelException();
        }
        byte[] data = disk == null ? null : disk.get(c.index(), chunkLength(c.index()));
        if (data == null) {
          missing.add(c);
        } else {
          counters.diskChunk();
          done(c, data);
        }
      }
      long[] indices = missing.stream().mapToLong(Claim::index).toArray();
      int at = 0;
      for (ChunkRuns.Run run : ChunkRuns.of(indices, ChunkCachingSource.MAX_RUN)) {
        byte[][] data = fetch(run);
        for (int i = 0; i < run.count(); i++, at++) {
          // on disk before readers see it, as a foreground load does: a chunk evicted from memory
          // is then always found on disk, and one dropped as wrong (invalidate) cannot come back
          if (disk != null) {
            disk.put(missing.get(at).index(), data[i]);
          }
          done(missing.get(at), data[i]);
        }
      }
    } catch (IOException | RuntimeException | Error e) {
      // whoever waits for these chunks gets the failure; the next reader of them tries again
      fail(claims, e);
    } finally {
      limits.releaseAhead(reserved);
    }
  }

  /**
   * The chunks of {@code run} with one ranged request, each in its own array: straight into them
   * from a remote source, through one array of the run from any other.
   */
  private byte[][] fetch(ChunkRuns.Run run) throws IOException {
    byte[][] data = new byte[run.count()][];
    ByteBuffer[] parts = new ByteBuffer[run.count()];
    for (int i = 0; i < run.count(); i++) {
      data[i] = new byte[chunkLength(run.first() + i)];
      parts[i] = ByteBuffer.wrap(data[i]);
    }
    long start = run.first() * CHUNK;
    inner.readFully(start, parts);
    return data;
  }

  private void done(Claim c, byte[] data) {
    install(c.index(), data);
    c.future().complete(data);
    loading.remove(c.index(), c.future());
  }

  private void fail(List<Claim> claims, Throwable e) {
    for (Claim c : claims) {
      if (c.future().completeExceptionally(e)) {
        loading.remove(c.index(), c.future());
      }
    }
  }

  /** One cached chunk of the object. */
  private record Chunk(long index, byte[] data) {}
}
