package dev.cairn.format;

/**
 * The content hash algorithm a snapshot's index uses for the logical bytes of its blocks (header
 * byte 43). Every hash is 16 bytes. Immutable.
 */
public enum HashAlgorithm {
  /** The first 16 bytes of SHA-256. Format 1.0 wrote only this. */
  SHA256_128(1, 0, true, "sha256-128"),
  /**
   * XXH3-128 with seed 0, in its canonical big-endian form (high 64 bits first): five times cheaper
   * than SHA-256 in the JVM (thirty at JIT tier 1; {@code ContentHashBenchmark}), which matters
   * when packing keeps both cores busy compressing. It is not collision-resistant, so a writer that
   * would store a block as inherited from a parent because the hashes match compares the bytes
   * first.
   */
  XXH3_128(2, 1, false, "xxh3-128");

  private static final HashAlgorithm[] BY_ID = {null, SHA256_128, XXH3_128};

  private final int id;
  private final int sinceMinorVersion;
  private final boolean collisionResistant;
  private final String displayName;

  HashAlgorithm(int id, int sinceMinorVersion, boolean collisionResistant, String displayName) {
    this.id = id;
    this.sinceMinorVersion = sinceMinorVersion;
    this.collisionResistant = collisionResistant;
    this.displayName = displayName;
  }

  /** The name {@code cairn info} shows. */
  public String displayName() {
    return displayName;
  }

  /** What new snapshots use. */
  public static HashAlgorithm defaultAlgorithm() {
    return XXH3_128;
  }

  /** The id stored in the header. */
  public int id() {
    return id;
  }

  /**
   * The first format 1.x minor version that may use it: a 1.0 header naming XXH3-128 is invalid.
   */
  public int sinceMinorVersion() {
    return sinceMinorVersion;
  }

  /**
   * Whether equal hashes may be taken to mean equal bytes even against crafted input. When false,
   * deduplication confirms a match by comparing the bytes.
   */
  public boolean collisionResistant() {
    return collisionResistant;
  }

  /** The algorithm for a stored id, or null if the id is unknown. */
  public static HashAlgorithm byId(int id) {
    return id > 0 && id < BY_ID.length ? BY_ID[id] : null;
  }

  /** A new hasher for this algorithm; one per thread. */
  public ContentHasher newHasher() {
    return this == SHA256_128 ? new Sha256Hasher() : new Xxh3Hasher();
  }
}
