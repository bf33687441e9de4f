package dev.cairn.delta;

import dev.cairn.error.CorruptStoreException;
import dev.cairn.io.Fsync;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Steps 2 and 3 of a {@link DeltaStore} compaction (see {@link StoreCompaction}): copies the live
 * chunks of spill generation S into a new {@code spill.S+1}, makes it durable, and switches the
 * manifest to it, the commit point. The store has made the old state durable first and deletes the
 * old file after.
 *
 * <p><b>Thread safety:</b> stateless; the caller holds the store exclusively, so nothing else uses
 * the manifest or either spill file meanwhile.
 */
final class SpillCompaction {
  private SpillCompaction() {}

  /**
   * Returns the allocator of the new generation, which the manifest now names.
   *
   * @param onBroken run if the manifest failed in the middle of the switch, when either spill file
   *     may be the live one; the new file is then kept
   * @throws IOException if the switch did not happen; the new spill file is then removed
   */
  static DeltaAllocator copyAndSwitch(
      Path dir,
      Manifest manifest,
      DeltaAllocator old,
      ChunkCompressor compressor,
      Failpoint failpoint,
      Runnable onBroken)
      throws IOException {
    int chunkSize = old.chunkSize();
    long next = old.generation() + 1;
    Path nextPath = StoreFiles.spillPath(dir, next);
    Files.deleteIfExists(nextPath);
    DeltaAllocator fresh =
        DeltaAllocator.create(
            nextPath, chunkSize, old.chunksPerRecord(), next, compressor, old.cipher());
    boolean switched = false;
    try {
      LongLongMap live = manifest.copy();
      LongLongMap moved = new LongLongMap(live.size());
      old.scan(
          (offset, count, ids, data) -> {
            for (int s = 0; s < count; s++) {
              long id = ids[s];
              if (live.get(id, -1) == DeltaAllocator.location(offset, s)) {
                moved.put(id, fresh.write(id, ByteBuffer.wrap(data, s * chunkSize, chunkSize)));
              }
            }
          });
      if (moved.size() != live.size()) {
        throw new CorruptStoreException(
            old.path(),
            "compaction found "
                + moved.size()
                + " of "
                + live.size()
                + " live chunks; keeping the old spill file");
      }
      long end = fresh.flush();
      Fsync.directory(dir);
      failpoint.reached("store.spill-written");
      long[] attrs = manifest.attributes();
      attrs[StoreFiles.ATTR_SPILL_GENERATION] = next;
      attrs[StoreFiles.ATTR_SPILL_END] = end;
      attrs[StoreFiles.ATTR_SPILL_SLOTS] = fresh.slots();
      try {
        manifest.replace(moved, attrs);
      } catch (IOException e) {
        if (manifest.isBroken()) {
          // The rename may or may not be durable, so either spill file may be the live one.
          onBroken.run();
          switched = true;
        }
        throw e;
      }
      switched = true;
      return fresh;
    } catch (IOException e) {
      if (!switched) {
        fresh.close();
        Files.deleteIfExists(nextPath);
      }
      throw e;
    }
  }
}
