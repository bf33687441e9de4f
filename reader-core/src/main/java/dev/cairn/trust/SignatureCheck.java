package dev.cairn.trust;

import dev.cairn.crypto.BlockDigest;
import dev.cairn.error.CairnException;
import dev.cairn.error.UntrustedSnapshotException;
import dev.cairn.format.Header;
import dev.cairn.format.SnapshotId;
import dev.cairn.sign.Trust;
import dev.cairn.source.ByteSource;
import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * Opens a snapshot's bytes for a reader that trusts some keys: the signature file must exist, be
 * signed by one of the trusted keys, verify, and root a digest table that matches it and the
 * snapshot's size; the result reads only bytes that match ({@link VerifiedSource}). Whether the
 * statement names the snapshot and parent actually read is checked by the caller once it has parsed
 * the header ({@code dev.cairn.read.Snapshot}).
 *
 * <p>Stateless; thread-safe.
 */
public final class SignatureCheck {
  /** Where a snapshot header holds its id (docs/FORMAT.md, Header: offset 16, 16 bytes). */
  private static final int ID_AT = 16;

  private static final int ID_END = ID_AT + 16;

  private SignatureCheck() {}

  /** The refusal of a snapshot {@code name} whose signature file {@code sigName} does not exist. */
  public static UntrustedSnapshotException unsigned(String name, String sigName, Trust trust) {
    return new UntrustedSnapshotException(
        name,
        "not signed (no "
            + sigName
            + "), and --trust requires a signature by "
            + (trust.keys().size() == 1 ? "key " : "one of the keys ")
            + trust.describe());
  }

  /**
   * {@code source} checked against its signature file {@code sig} with {@code trust}'s keys. On
   * success the result owns both sources; on failure {@code sig} is closed and {@code source} is
   * left to the caller.
   *
   * @throws UntrustedSnapshotException naming the file and what failed: a signature by an untrusted
   *     key, one that does not verify, or one for other bytes
   */
  public static VerifiedSource open(ByteSource source, ByteSource sig, Trust trust)
      throws IOException {
    String name = source.describe();
    boolean ok = false;
    try {
      SignatureFile file = SignatureFile.read(sig);
      if (trust.key(file.signer().id()).filter(k -> k.equals(file.signer())).isEmpty()) {
        throw new UntrustedSnapshotException(
            name,
            "signed by key "
                + file.signer().id()
                + ", which is not trusted (trusted: "
                + trust.describe()
                + ")");
      }
      if (!file.signatureValid()) {
        throw new UntrustedSnapshotException(
            name,
            "signature by key "
                + file.signer().id()
                + " does not verify ("
                + sig.describe()
                + " altered)");
      }
      byte[] root =
          BlockDigest.of(BlockDigest.Algorithm.SHA256).digest(ByteBuffer.wrap(file.table()));
      if (!file.statement().rootIs(root)) {
        throw new UntrustedSnapshotException(
            name, "digest table in " + sig.describe() + " does not match its signed root");
      }
      if (file.statement().fileSize() != source.size()) {
        throw new UntrustedSnapshotException(
            name,
            "is "
                + source.size()
                + " bytes, the signature is for "
                + file.statement().fileSize()
                + " bytes: a different file");
      }
      SnapshotId claimed = claimedId(source);
      if (claimed != null && !claimed.equals(file.statement().snapshot())) {
        throw new UntrustedSnapshotException(
            name,
            "its signature is for snapshot "
                + file.statement().snapshot()
                + ", the file is "
                + claimed
                + ": another snapshot in its place");
      }
      VerifiedSource v = new VerifiedSource(source, sig, file);
      ok = true;
      return v;
    } finally {
      if (!ok) {
        sig.close();
      }
    }
  }

  /**
   * The snapshot id the file's header claims, read without verification and used for nothing but
   * naming a file that is not the one signed (the verified read that follows would refuse it, but
   * only as bytes that do not match); null if the file does not start like a snapshot.
   */
  private static SnapshotId claimedId(ByteSource source) throws IOException {
    if (source.size() < ID_END) {
      return null;
    }
    ByteBuffer b = ByteBuffer.allocate(ID_END);
    source.readFully(0, b);
    try {
      Header.peekLength(b.flip(), source.describe());
    } catch (CairnException e) {
      return null;
    }
    return SnapshotId.read(b.position(ID_AT));
  }
}
