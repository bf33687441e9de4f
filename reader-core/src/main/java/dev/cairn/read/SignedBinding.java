package dev.cairn.read;

import dev.cairn.error.UntrustedSnapshotException;
import dev.cairn.format.Header;
import dev.cairn.format.SnapshotId;
import dev.cairn.trust.SignatureFile;
import dev.cairn.trust.Statement;

/**
 * Checks that a verified snapshot's signed statement is about the snapshot whose header was read
 * (its id and its parent's id) and, for a thin snapshot, about the parent it is being read over:
 * the parent must be verified too, and its signature's root must be the one the child's statement
 * binds, so that a signed child read over a substituted parent — even one validly signed by a
 * trusted key — is refused.
 *
 * <p>Stateless; thread-safe.
 */
final class SignedBinding {
  private SignedBinding() {}

  static void check(SignatureFile signature, Header header, Snapshot parent, String name)
      throws UntrustedSnapshotException {
    Statement st = signature.statement();
    if (!st.snapshot().equals(header.snapshotId())) {
      throw new UntrustedSnapshotException(
          name,
          "its signature is for snapshot "
              + st.snapshot()
              + ", the file is "
              + header.snapshotId());
    }
    SnapshotId parentId = header.hasParent() ? header.parentId() : SnapshotId.NONE;
    if (!st.parent().equals(parentId)) {
      throw new UntrustedSnapshotException(
          name, "its signature names parent " + st.parent() + ", its header " + parentId);
    }
    if (parent == null) {
      return;
    }
    SignatureFile ps = parent.signature().orElse(null);
    if (ps == null) {
      throw new UntrustedSnapshotException(
          name, "its parent " + parent.describe() + " was not verified against a signature");
    }
    if (!st.parentRootIs(ps.statement().root())) {
      throw new UntrustedSnapshotException(
          name,
          "was signed over another copy of its parent than "
              + parent.describe()
              + " (the parent's signed root differs): a substituted parent");
    }
  }
}
