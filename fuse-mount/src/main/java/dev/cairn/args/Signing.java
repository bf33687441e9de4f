package dev.cairn.args;

import dev.cairn.error.UsageException;
import dev.cairn.format.Header;
import dev.cairn.format.SnapshotId;
import dev.cairn.io.AtomicOutputFile;
import dev.cairn.read.Snapshot;
import dev.cairn.read.SnapshotChain;
import dev.cairn.sign.SigningKey;
import dev.cairn.source.ByteSource;
import dev.cairn.source.FileByteSource;
import dev.cairn.trust.SignatureFile;
import dev.cairn.trust.Signer;
import dev.cairn.trust.Statement;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;
import java.util.function.LongConsumer;

/**
 * Signs a local snapshot file: writes {@code SNAP.sig} next to it (or where asked), binding a thin
 * snapshot to its parent's signature, which must exist (the parent is found as a reader finds it).
 * Shared by {@code cairn sign}, {@code pack --sign} and {@code commit --sign}. An existing
 * signature file is replaced only if it is one (a re-signing, e.g. with a new key); anything else
 * under that name is left alone. Stateless.
 */
public final class Signing {
  private Signing() {}

  /** Where {@code snapshot}'s signature file goes by default: next to it, {@code .sig} added. */
  public static Path defaultOutput(Path snapshot) {
    return SignatureFile.siblingOf(snapshot);
  }

  /**
   * Signs {@code snapshot} with {@code key} into {@code output}; {@code progress} is told the bytes
   * hashed so far.
   *
   * @param searchDirs where else to look for a thin snapshot's parent ({@code --parent-search})
   * @return the signed statement
   */
  public static Statement sign(
      Path snapshot, SigningKey key, List<Path> searchDirs, Path output, LongConsumer progress)
      throws IOException {
    checkReplaceable(output);
    try (ByteSource source = FileByteSource.open(snapshot)) {
      Header header = Snapshot.readHeader(source);
      Signer.Binding binding = binding(snapshot, header, searchDirs);
      try (AtomicOutputFile out = AtomicOutputFile.create(output)) {
        Statement st =
            Signer.write(source, binding, key, System.currentTimeMillis(), out.channel(), progress);
        out.commit();
        return st;
      }
    }
  }

  /** What a signature of {@code snapshot} binds: its id, and its parent's id and signed root. */
  private static Signer.Binding binding(Path snapshot, Header header, List<Path> searchDirs)
      throws IOException {
    if (!header.hasParent()) {
      return new Signer.Binding(header.snapshotId(), SnapshotId.NONE, Statement.noRoot());
    }
    List<Path> chain = SnapshotChain.locate(snapshot, searchDirs);
    Path parent = chain.get(1);
    Path parentSig = defaultOutput(parent);
    if (!Files.isRegularFile(parentSig)) {
      throw new UsageException(
          snapshot
              + ": its parent "
              + parent
              + " is not signed (no "
              + parentSig.getFileName()
              + "); sign the parent first, a signature binds the parent's");
    }
    SignatureFile ps;
    try (ByteSource sig = FileByteSource.open(parentSig);
        ByteSource parentBytes = FileByteSource.open(parent)) {
      ps = SignatureFile.read(sig);
      if (!ps.statement().snapshot().equals(header.parentId())
          || ps.statement().fileSize() != parentBytes.size()
          || !ps.signatureValid()) {
        throw new UsageException(
            parentSig + ": not a valid signature of " + parent + "; sign the parent again");
      }
    }
    return new Signer.Binding(header.snapshotId(), header.parentId(), ps.statement().root());
  }

  /** Refuses an output that exists and is not a Cairn signature file. */
  private static void checkReplaceable(Path output) throws IOException {
    if (!Files.exists(output, LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    AtomicOutputFile.checkReplaceable(output);
    try (ByteSource existing = FileByteSource.open(output)) {
      SignatureFile.read(existing);
    } catch (IOException e) {
      throw new UsageException(
          output
              + ": exists and is not a Cairn signature file; not replaced (remove it or use -o)");
    }
  }
}
