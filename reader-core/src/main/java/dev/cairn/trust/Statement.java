package dev.cairn.trust;

import dev.cairn.format.SnapshotId;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * What a signer signs: which snapshot (its id and exact size), which parent it stands on (the
 * parent's id and the root its own signature covers, so that a signed child cannot be read over a
 * substituted parent, even a validly signed one), and the root: the SHA-256 of the signature file's
 * digest table, which authenticates the digest of every chunk of the file. The signed message is
 * the 128-byte encoding below, little-endian:
 *
 * <pre>
 * offset length field
 *      0     16 context: "cairn signature" and one zero byte (no other message starts so)
 *     16     16 snapshot id, as in the snapshot's header
 *     32     16 parent's snapshot id (zeros: none)
 *     48     32 parent's root (zeros: none)
 *     80     32 root: SHA-256 of the digest table
 *    112      8 snapshot file size in bytes
 *    120      8 when it was signed, milliseconds since 1970-01-01 UTC (informational)
 * </pre>
 *
 * <p>Immutable; thread-safe (the arrays are copied in and out).
 */
public record Statement(
    SnapshotId snapshot,
    SnapshotId parent,
    byte[] parentRoot,
    byte[] root,
    long fileSize,
    long signedAtMillis) {
  /** Bytes of the encoding. */
  public static final int LENGTH = 128;

  /** Bytes of a root. */
  public static final int ROOT_LENGTH = 32;

  private static final byte[] CONTEXT =
      Arrays.copyOf("cairn signature".getBytes(StandardCharsets.US_ASCII), 16);

  private static final byte[] NO_ROOT = new byte[ROOT_LENGTH];

  public Statement {
    if (parentRoot.length != ROOT_LENGTH || root.length != ROOT_LENGTH) {
      throw new IllegalArgumentException("roots are 32 bytes");
    }
    parentRoot = parentRoot.clone();
    root = root.clone();
  }

  /** The zero root a statement names when there is no parent. */
  public static byte[] noRoot() {
    return NO_ROOT.clone();
  }

  @Override
  public byte[] parentRoot() {
    return parentRoot.clone();
  }

  @Override
  public byte[] root() {
    return root.clone();
  }

  /** Whether this statement's root is {@code other}. */
  public boolean rootIs(byte[] other) {
    return Arrays.equals(root, other);
  }

  /** Whether this statement binds {@code other} as its parent's root. */
  public boolean parentRootIs(byte[] other) {
    return Arrays.equals(parentRoot, other);
  }

  /** The signed message. */
  public byte[] encode() {
    ByteBuffer b = ByteBuffer.allocate(LENGTH).order(ByteOrder.LITTLE_ENDIAN);
    b.put(CONTEXT).put(snapshot.toBytes()).put(parent.toBytes()).put(parentRoot).put(root);
    b.putLong(fileSize).putLong(signedAtMillis);
    return b.array();
  }

  /** The statement {@code b}'s next 128 bytes encode, or null if they are not one. */
  static Statement decode(ByteBuffer b) {
    ByteBuffer in = b.slice().order(ByteOrder.LITTLE_ENDIAN);
    b.position(b.position() + LENGTH);
    byte[] context = new byte[CONTEXT.length];
    in.get(context);
    if (!Arrays.equals(context, CONTEXT)) {
      return null;
    }
    SnapshotId snapshot = SnapshotId.read(in);
    SnapshotId parent = SnapshotId.read(in);
    byte[] parentRoot = new byte[ROOT_LENGTH];
    in.get(parentRoot);
    byte[] root = new byte[ROOT_LENGTH];
    in.get(root);
    return new Statement(snapshot, parent, parentRoot, root, in.getLong(), in.getLong());
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Statement s && Arrays.equals(encode(), s.encode());
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(encode());
  }

  @Override
  public String toString() {
    return "Statement[snapshot=" + snapshot + ", parent=" + parent + ", size=" + fileSize + "]";
  }
}
