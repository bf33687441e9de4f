package dev.cairn.delta;

import java.io.IOException;

/**
 * Receives the records of a spill file, in file order ({@link DeltaAllocator#scan}). Called from
 * the scanning thread only.
 */
@FunctionalInterface
public interface RecordVisitor {
  /**
   * One record at {@code offset} with {@code count} chunks: {@code ids[slot]} and the chunk's bytes
   * at {@code data[slot * chunkSize ..]}. Both arrays are only valid during the call.
   */
  void visit(long offset, int count, long[] ids, byte[] data) throws IOException;
}
