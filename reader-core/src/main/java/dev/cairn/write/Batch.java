package dev.cairn.write;

import dev.cairn.format.BlockEntry;
import dev.cairn.read.StreamReader;
import java.nio.ByteBuffer;

/**
 * Consecutive blocks of one stream travelling together from the writer's thread to a compression
 * thread and back: their logical bytes in, their stored bytes out back to back, and their entries.
 *
 * <p>Not thread-safe: owned by one thread at a time (handed over through the pool's queue and
 * futures, which order the accesses).
 */
final class Batch {
  final ByteBuffer in;
  final ByteBuffer out;
  final int blockSize;
  final int[] lengths;
  final int[] outOffsets;
  final BlockEntry[] entries;
  final byte[][] parentHashes;
  StreamReader parent;
  int stream;
  long first;
  int count;
  int outLength;

  /**
   * @param maxStored the largest stored length of one block, tag included
   */
  Batch(int blocks, int blockSize, int maxStored) {
    this.blockSize = blockSize;
    this.in = ByteBuffer.allocateDirect(blocks * blockSize);
    this.out = ByteBuffer.allocateDirect(blocks * maxStored);
    this.lengths = new int[blocks];
    this.outOffsets = new int[blocks];
    this.entries = new BlockEntry[blocks];
    this.parentHashes = new byte[blocks][];
  }

  /** Block {@code i}'s logical bytes: a view of {@code length} bytes at position 0. */
  ByteBuffer input(int i, int length) {
    return in.slice(i * blockSize, length);
  }
}
