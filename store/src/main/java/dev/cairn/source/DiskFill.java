package dev.cairn.source;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongConsumer;

/**
 * {@code cairn fetch}'s work on one remote object: every chunk not in the disk cache yet is loaded
 * into it, several coalesced requests at a time within the process's {@link RemoteLimits} ({@link
 * ChunkLoads#loadRuns}), and afterwards the cache must hold all of it. Apart from serving reads,
 * which is the rest of {@link ChunkCachingSource}.
 *
 * <p>Stateless; as thread-safe as the loads and the presence it is given.
 */
final class DiskFill {
  private DiskFill() {}

  /**
   * Fills {@code disk} with every chunk of the object {@code name} ({@code size} bytes), telling
   * {@code progress} the bytes cached so far and {@code presence} each chunk found on disk; returns
   * the bytes of the chunks it loaded.
   *
   * @throws IOException if a request fails after its retries, if {@code disk} is null, or if chunks
   *     are missing afterwards (the cache limit is smaller than the object)
   */
  static long fill(
      String name,
      long size,
      DiskChunkCache disk,
      ChunkLoads loads,
      ChunkPresence presence,
      LongConsumer progress)
      throws IOException {
    if (disk == null) {
      throw new IOException(
          name + ": there is no disk cache to fetch into (CAIRN_CACHE_DIR is none or refused)");
    }
    AtomicLong done = new AtomicLong();
    AtomicLong fetched = new AtomicLong();
    List<Long> missing = new ArrayList<>();
    for (long c = 0; c * ChunkCachingSource.CHUNK < size; c++) {
      int length = ChunkCachingSource.chunkLength(size, c);
      if (disk.has(c, length)) {
        presence.installed(c);
        progress.accept(done.addAndGet(length));
      } else {
        missing.add(c);
      }
    }
    for (CompletableFuture<byte[]> f :
        loads.loadRuns(
            missing.stream().mapToLong(Long::longValue).toArray(),
            data -> {
              fetched.addAndGet(data.length);
              progress.accept(done.addAndGet(data.length));
            })) {
      ChunkLoads.await(f);
    }
    long absent = disk.missingBytes();
    if (absent > 0) {
      throw new IOException(
          name
              + ": "
              + RemoteObjects.mib(absent)
              + " MiB of it did not stay in the disk cache "
              + disk.folder()
              + " (is CAIRN_CACHE_LIMIT smaller than the snapshot?)");
    }
    return fetched.get();
  }
}
