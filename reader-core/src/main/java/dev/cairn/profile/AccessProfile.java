package dev.cairn.profile;

import dev.cairn.crypto.BlockDigest;
import dev.cairn.error.CorruptSnapshotException;
import dev.cairn.error.UntrustedSnapshotException;
import dev.cairn.format.SnapshotId;
import dev.cairn.io.Crc;
import dev.cairn.sign.SigningKey;
import dev.cairn.sign.Trust;
import dev.cairn.sign.TrustedKey;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.security.spec.InvalidKeySpecException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * Which blocks a workload read, in the order it first read them: what a mount records ({@code
 * --record-profile}) during a VM boot or a model load, and what a later mount of the same snapshot
 * fetches in the background, in that order, before anyone asks (Nydus calls these prefetch lists,
 * SOCI load-order documents). Blocks are logical blocks of the snapshot's streams, so a profile of
 * a thin snapshot covers whichever member of its chain holds each block.
 *
 * <p>The file ({@code SNAP.profile} next to the snapshot), little-endian:
 *
 * <pre>
 *   offset  size  field
 *        0     8  magic "CAIRNPRF"
 *        8     2  version = 1
 *       10     2  flags: bit 0 signed (the signature block follows the CRC); other bits zero
 *       12     4  run count R (at most {@value #MAX_RUNS})
 *       16    16  id of the snapshot the profile was recorded on
 *       32  16·R  runs, in the order first read: stream (1), reserved zero (3), block count (4,
 *                 at least 1), first block (8)
 *    32+16R     4  CRC32C of bytes [0, 32+16R)
 *    36+16R    96  signed only: the signer's Ed25519 public key (32, raw) and the signature (64)
 *                  of "cairn profile" padded with zeros to 16 bytes, then the SHA-256 of bytes
 *                  [0, 36+16R)
 * </pre>
 *
 * <p>A profile is a hint: a wrong one costs fetches, never a wrong byte (every block fetched is
 * checked as any read is). It is still refused when damaged (CRC), when it names another snapshot,
 * and, where a reader requires signatures, when a trusted key did not sign it, because a hostile
 * profile could make a fleet fetch what its owner did not mean to.
 *
 * <p>Immutable; thread-safe.
 */
public final class AccessProfile {
  /** The most runs a profile may hold (16 MiB of runs). */
  public static final int MAX_RUNS = 1 << 20;

  private static final byte[] MAGIC = "CAIRNPRF".getBytes(StandardCharsets.US_ASCII);
  private static final int VERSION = 1;
  private static final int FLAG_SIGNED = 1;
  private static final int HEADER = 32;
  private static final int RUN = 16;
  private static final int SIGNATURE_BLOCK = TrustedKey.RAW_LENGTH + TrustedKey.SIGNATURE_LENGTH;
  private static final byte[] CONTEXT =
      Arrays.copyOf("cairn profile".getBytes(StandardCharsets.US_ASCII), 16);

  /**
   * Blocks {@code first .. first + count - 1} of stream {@code stream}, read in that order.
   *
   * @param stream 0 (primary) or 1 (secondary)
   */
  public record Run(int stream, long first, int count) {
    public Run {
      if (stream < 0 || stream > 1 || first < 0 || count < 1 || first + count < first) {
        throw new IllegalArgumentException("bad run " + stream + ":" + first + "+" + count);
      }
    }
  }

  private final SnapshotId snapshot;
  private final List<Run> runs;
  private final TrustedKey signer;

  private AccessProfile(SnapshotId snapshot, List<Run> runs, TrustedKey signer) {
    this.snapshot = snapshot;
    this.runs = List.copyOf(runs);
    this.signer = signer;
  }

  /** An unsigned profile of {@code snapshot}. */
  public static AccessProfile of(SnapshotId snapshot, List<Run> runs) {
    if (runs.size() > MAX_RUNS) {
      throw new IllegalArgumentException("more than " + MAX_RUNS + " runs");
    }
    return new AccessProfile(snapshot, runs, null);
  }

  /** The snapshot it was recorded on. */
  public SnapshotId snapshot() {
    return snapshot;
  }

  /** The runs, in the order first read. */
  public List<Run> runs() {
    return runs;
  }

  /** The number of blocks named. */
  public long blocks() {
    long n = 0;
    for (Run r : runs) {
      n += r.count();
    }
    return n;
  }

  /** Who signed it, if anyone (checked when the file was read). */
  public Optional<TrustedKey> signer() {
    return Optional.ofNullable(signer);
  }

  /** The file's bytes, unsigned. */
  public byte[] encode() {
    return body(false).array();
  }

  /** The file's bytes, signed by {@code key}. */
  public byte[] encodeSigned(SigningKey key) {
    ByteBuffer body = body(true);
    byte[] signature = key.sign(message(body.array(), body.capacity()));
    return ByteBuffer.allocate(body.capacity() + SIGNATURE_BLOCK)
        .put(body)
        .put(key.publicKey().raw())
        .put(signature)
        .array();
  }

  private ByteBuffer body(boolean signed) {
    int length = HEADER + RUN * runs.size() + 4;
    ByteBuffer b = ByteBuffer.allocate(length).order(ByteOrder.LITTLE_ENDIAN);
    b.put(MAGIC).putShort((short) VERSION).putShort((short) (signed ? FLAG_SIGNED : 0));
    b.putInt(runs.size()).put(snapshot.toBytes());
    for (Run r : runs) {
      b.put((byte) r.stream()).put(new byte[3]).putInt(r.count()).putLong(r.first());
    }
    b.putInt(Crc.of(b, 0, length - 4));
    return b.flip();
  }

  private static byte[] message(byte[] file, int bodyLength) {
    byte[] digest =
        BlockDigest.of(BlockDigest.Algorithm.SHA256).digest(ByteBuffer.wrap(file, 0, bodyLength));
    return ByteBuffer.allocate(CONTEXT.length + digest.length).put(CONTEXT).put(digest).array();
  }

  /**
   * Reads a profile file's bytes.
   *
   * @param name what to call the file in messages
   * @throws CorruptSnapshotException if it is not a well-formed profile, or its CRC does not match
   * @throws UntrustedSnapshotException if it carries a signature that does not verify
   */
  public static AccessProfile read(byte[] file, String name)
      throws CorruptSnapshotException, UntrustedSnapshotException {
    ByteBuffer b = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN);
    if (file.length < HEADER + 4 || !Arrays.equals(file, 0, MAGIC.length, MAGIC, 0, MAGIC.length)) {
      throw new CorruptSnapshotException(name, "not a Cairn access profile");
    }
    int version = Short.toUnsignedInt(b.getShort(8));
    if (version != VERSION) {
      throw new CorruptSnapshotException(name, "access profile version " + version + " unknown");
    }
    int flags = Short.toUnsignedInt(b.getShort(10));
    if ((flags & ~FLAG_SIGNED) != 0) {
      throw new CorruptSnapshotException(name, "unknown access profile flags " + flags);
    }
    boolean signed = (flags & FLAG_SIGNED) != 0;
    long count = Integer.toUnsignedLong(b.getInt(12));
    long bodyLength = HEADER + RUN * count + 4;
    if (count > MAX_RUNS || file.length != bodyLength + (signed ? SIGNATURE_BLOCK : 0)) {
      throw new CorruptSnapshotException(
          name, "access profile of " + count + " runs is " + file.length + " bytes long");
    }
    int body = (int) bodyLength;
    if (Crc.of(b, 0, body - 4) != b.getInt(body - 4)) {
      throw new CorruptSnapshotException(name, "access profile checksum mismatch (CRC32C)");
    }
    TrustedKey signer = null;
    if (signed) {
      try {
        signer = TrustedKey.fromRaw(Arrays.copyOfRange(file, body, body + TrustedKey.RAW_LENGTH));
      } catch (InvalidKeySpecException e) {
        throw new UntrustedSnapshotException(name, "the profile's signer key is not Ed25519");
      }
      byte[] signature = Arrays.copyOfRange(file, body + TrustedKey.RAW_LENGTH, file.length);
      if (!signer.verify(message(file, body), signature)) {
        throw new UntrustedSnapshotException(
            name, "profile signature by key " + signer.id() + " does not verify");
      }
    }
    b.position(16);
    SnapshotId snapshot = SnapshotId.read(b);
    List<Run> runs = new ArrayList<>((int) count);
    for (int i = 0; i < count; i++) {
      int stream = Byte.toUnsignedInt(b.get());
      byte[] reserved = new byte[3];
      b.get(reserved);
      int n = b.getInt();
      long first = b.getLong();
      if (stream > 1 || n < 1 || first < 0 || first + n < first || !isZero(reserved)) {
        throw new CorruptSnapshotException(name, "access profile run " + i + " is malformed");
      }
      runs.add(new Run(stream, first, n));
    }
    return new AccessProfile(snapshot, runs, signer);
  }

  /**
   * This profile if {@code trust} accepts it: any profile when no key is required, else one signed
   * by a trusted key.
   *
   * @throws UntrustedSnapshotException naming why not
   */
  public AccessProfile trusted(Trust trust, String name) throws UntrustedSnapshotException {
    if (!trust.required()) {
      return this;
    }
    if (signer == null) {
      throw new UntrustedSnapshotException(name, "profile is not signed");
    }
    if (trust.key(signer.id()).filter(signer::equals).isEmpty()) {
      throw new UntrustedSnapshotException(
          name, "profile signed by key " + signer.id() + ", which is not trusted");
    }
    return this;
  }

  private static boolean isZero(byte[] b) {
    for (byte x : b) {
      if (x != 0) {
        return false;
      }
    }
    return true;
  }
}
