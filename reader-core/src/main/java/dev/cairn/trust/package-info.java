/**
 * Signed snapshots: the detached signature file {@code SNAP.sig} ({@link
 * dev.cairn.trust.SignatureFile}, layout in docs/FORMAT.md "Signatures"), making one ({@link
 * dev.cairn.trust.Signer}), and reading a snapshot so that no byte reaches a reader unless it
 * matches what a trusted key signed ({@link dev.cairn.trust.SignatureCheck}, {@link
 * dev.cairn.trust.VerifiedSource}).
 *
 * <p>The signature covers the snapshot file as bytes, in fixed-size chunks (as dm-verity covers a
 * block device), not the blocks the format defines: signing needs no key for an encrypted snapshot
 * (the ciphertext is signed), verifying needs none either, and every reader of the file — header,
 * footer, index pages, blocks — is covered by one {@link dev.cairn.source.ByteSource} decorator.
 *
 * <p>Owns: the signature file's layout, the signed statement, the chunk digests and their check on
 * every read. Must not know how the snapshot format lays out blocks (only the snapshot and parent
 * ids the statement binds, which {@code dev.cairn.read} compares with the header), nor the command
 * line or FUSE.
 */
package dev.cairn.trust;
