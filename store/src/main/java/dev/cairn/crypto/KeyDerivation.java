package dev.cairn.crypto;

import java.util.Arrays;
import org.bouncycastle.crypto.generators.Argon2BytesGenerator;
import org.bouncycastle.crypto.params.Argon2Parameters;

/**
 * How the 32-byte master key of an encrypted snapshot or overlay comes from what the user holds:
 * the bytes of a key file as they are, or Argon2id (RFC 9106, version 0x13) over a passphrase with
 * the recorded salt and costs. A closed set: the header stores which one, and a reader refuses
 * values it does not know.
 *
 * <p>Immutable; thread-safe.
 */
public sealed interface KeyDerivation {
  int SALT_LENGTH = 16;

  /** The master key is the key file's 32 bytes. */
  record RawKey() implements KeyDerivation {
    @Override
    public String describe() {
      return "key file";
    }
  }

  /**
   * Argon2id over the passphrase's UTF-8 bytes.
   *
   * @param memoryLog2KiB log2 of the memory cost in KiB (16 = 64 MiB)
   * @param iterations passes over the memory
   * @param parallelism lanes
   * @param salt 16 random bytes, fresh for every snapshot or overlay
   */
  record Argon2id(int memoryLog2KiB, int iterations, int parallelism, byte[] salt)
      implements KeyDerivation {
    /**
     * Costs new snapshots use: 64 MiB, 3 passes, 1 lane (RFC 9106's second recommendation, with one
     * lane).
     */
    public static final int DEFAULT_MEMORY_LOG2_KIB = 16;

    public static final int DEFAULT_ITERATIONS = 3;
    public static final int DEFAULT_PARALLELISM = 1;

    /**
     * Bounds a reader accepts, so a crafted header cannot make it allocate or compute without
     * limit: 8 MiB to 1 GiB, 1 to 32 passes, 1 to 16 lanes.
     */
    public static final int MIN_MEMORY_LOG2_KIB = 13;

    public static final int MAX_MEMORY_LOG2_KIB = 20;
    public static final int MAX_ITERATIONS = 32;
    public static final int MAX_PARALLELISM = 16;

    public Argon2id {
      if (salt.length != SALT_LENGTH) {
        throw new IllegalArgumentException("Argon2id salt of " + salt.length + " bytes");
      }
      salt = salt.clone();
    }

    /** Why these costs are refused, or null if a reader accepts them. */
    public static String refusal(int memoryLog2KiB, int iterations, int parallelism) {
      if (memoryLog2KiB < MIN_MEMORY_LOG2_KIB || memoryLog2KiB > MAX_MEMORY_LOG2_KIB) {
        return "Argon2id memory 2^" + memoryLog2KiB + " KiB (this cairn accepts 8 MiB to 1 GiB)";
      }
      if (iterations < 1 || iterations > MAX_ITERATIONS) {
        return "Argon2id iterations " + Integer.toUnsignedString(iterations) + " (1 to 32)";
      }
      if (parallelism < 1 || parallelism > MAX_PARALLELISM) {
        return "Argon2id parallelism " + parallelism + " (1 to 16)";
      }
      return null;
    }

    @Override
    public byte[] salt() {
      return salt.clone();
    }

    byte[] derive(byte[] passphrase) {
      Argon2Parameters p =
          new Argon2Parameters.Builder(Argon2Parameters.ARGON2_id)
              .withVersion(Argon2Parameters.ARGON2_VERSION_13)
              .withMemoryPowOfTwo(memoryLog2KiB)
              .withIterations(iterations)
              .withParallelism(parallelism)
              .withSalt(salt)
              .build();
      Argon2BytesGenerator g = new Argon2BytesGenerator();
      g.init(p);
      byte[] out = new byte[Aead.KEY_LENGTH];
      g.generateBytes(passphrase, out);
      return out;
    }

    @Override
    public String describe() {
      return "passphrase (Argon2id, "
          + (1L << memoryLog2KiB >> 10)
          + " MiB, "
          + iterations
          + " passes, "
          + parallelism
          + " lane"
          + (parallelism == 1 ? "" : "s")
          + ")";
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Argon2id a
          && memoryLog2KiB == a.memoryLog2KiB
          && iterations == a.iterations
          && parallelism == a.parallelism
          && Arrays.equals(salt, a.salt);
    }

    @Override
    public int hashCode() {
      return Arrays.hashCode(salt) * 31 + memoryLog2KiB * 7 + iterations;
    }

    @Override
    public String toString() {
      return describe();
    }
  }

  /** What the user needs to give, for messages and {@code info}: "key file" or "passphrase (…)". */
  String describe();
}
