package dev.cairn.delta;

import java.nio.ByteBuffer;
import java.util.Random;

/** Deterministic chunk contents for store tests: compressible, incompressible and mixed. */
final class Chunks {
  private Chunks() {}

  /** Chunk contents derived from {@code seed}: text-like, random or mostly zero. */
  static byte[] make(int size, long seed) {
    Random r = new Random(seed);
    byte[] b = new byte[size];
    switch (Math.floorMod(seed, 3)) {
      case 0 -> r.nextBytes(b);
      case 1 -> {
        for (int i = 0; i < size; i++) {
          b[i] = (byte) ("cairn overlay chunk ".charAt(Math.floorMod(i + seed, 20)));
        }
      }
      default -> {
        for (int i = 0; i < 8; i++) {
          b[r.nextInt(size)] = (byte) r.nextInt(256);
        }
      }
    }
    return b;
  }

  static ByteBuffer wrap(byte[] b) {
    return ByteBuffer.wrap(b);
  }

  static byte[] read(DeltaAllocator a, long location, long id) throws java.io.IOException {
    ByteBuffer dst = ByteBuffer.allocate(a.chunkSize());
    a.read(location, id, 0, dst);
    return dst.array();
  }
}
