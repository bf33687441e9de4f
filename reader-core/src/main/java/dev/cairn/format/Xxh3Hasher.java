package dev.cairn.format;

import com.dynatrace.hash4j.hashing.HashValue128;
import com.dynatrace.hash4j.hashing.Hasher128;
import com.dynatrace.hash4j.hashing.Hashing;
import java.nio.ByteBuffer;

/**
 * {@link HashAlgorithm#XXH3_128}: XXH3-128, seed 0, canonical form (high 64 bits big-endian, then
 * the low 64 bits big-endian), as {@code xxhsum -H2} prints it. Not thread-safe (scratch array).
 */
final class Xxh3Hasher implements ContentHasher {
  private static final Hasher128 XXH3 = Hashing.xxh3_128();

  // Hashing a heap array is faster than reading a direct buffer through ByteAccess, even with
  // the copy, especially before C2 has compiled the loop.
  private byte[] scratch = new byte[0];

  @Override
  public byte[] hash(ByteBuffer buf) {
    HashValue128 h;
    if (buf.hasArray()) {
      h = XXH3.hashBytesTo128Bits(buf.array(), buf.arrayOffset() + buf.position(), buf.remaining());
    } else {
      int n = buf.remaining();
      if (scratch.length < n) {
        scratch = new byte[n];
      }
      buf.get(buf.position(), scratch, 0, n);
      h = XXH3.hashBytesTo128Bits(scratch, 0, n);
    }
    return ByteBuffer.allocate(BlockEntry.HASH_LENGTH)
        .putLong(h.getMostSignificantBits())
        .putLong(h.getLeastSignificantBits())
        .array();
  }
}
