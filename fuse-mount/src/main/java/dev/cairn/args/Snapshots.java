package dev.cairn.args;

import dev.cairn.crypto.KeyRing;
import dev.cairn.error.UsageException;
import dev.cairn.read.BlockCache;
import dev.cairn.read.ReadStats;
import dev.cairn.read.Snapshot;
import dev.cairn.read.SnapshotChain;
import dev.cairn.sign.Trust;
import dev.cairn.source.ByteSource;
import dev.cairn.source.FileByteSource;
import dev.cairn.source.OfflineNotices;
import dev.cairn.source.RemoteByteSource;
import dev.cairn.source.RemoteObjects;
import dev.cairn.trust.SignatureFile;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;

/**
 * Opens the {@code SNAP} argument of a command or of a mount's serving process — a local path or an
 * {@code http(s)://} or {@code s3://} URL — with its parent chain. Stateless.
 */
public final class Snapshots {
  public static final long DEFAULT_CACHE = 64L << 20;

  private Snapshots() {}

  /** Opens a snapshot and its parents with a small cache, for one-shot commands. */
  public static SnapshotChain openChain(
      String spec, List<Path> searchDirs, KeyRing keys, Trust trust)
      throws IOException, UsageException {
    return openChain(
        spec, BlockCache.withCapacity(DEFAULT_CACHE), new ReadStats(), searchDirs, keys, trust);
  }

  /**
   * Opens a snapshot and its parents, each encrypted member with the first of {@code keys} that
   * opens it, and each checked against its signature when {@code trust} names keys.
   */
  public static SnapshotChain openChain(
      String spec,
      BlockCache cache,
      ReadStats stats,
      List<Path> searchDirs,
      KeyRing keys,
      Trust trust)
      throws IOException, UsageException {
    if (RemoteByteSource.isRemote(spec)) {
      try {
        return SnapshotChain.openUrl(uri(spec), cache, stats, keys, trust);
      } catch (IllegalArgumentException e) {
        throw new UsageException(e.getMessage());
      }
    }
    Path p = InputFiles.regularFile(spec, "snapshot");
    return SnapshotChain.open(p, searchDirs, cache, stats, keys, trust);
  }

  /** Whether any member of {@code chain} is encrypted (reading it decrypts). */
  public static boolean encrypted(SnapshotChain chain) {
    return chain.members().stream().anyMatch(Snapshots::encrypted);
  }

  /** Whether {@code s} is encrypted. */
  public static boolean encrypted(Snapshot s) {
    return s.header().encryption().enabled();
  }

  /**
   * The bytes of the snapshot {@code spec} names (a path or a URL), without its parents. A remote
   * one read from the disk cache alone (its server unreachable) says nothing here: opening its
   * chain does ({@link OfflineNotices}).
   */
  public static ByteSource openSource(String spec) throws IOException, UsageException {
    if (RemoteByteSource.isRemote(spec)) {
      OfflineNotices quiet = OfflineNotices.collect();
      try {
        return RemoteObjects.openBothEnds(uri(spec));
      } catch (IllegalArgumentException e) {
        throw new UsageException(e.getMessage());
      } finally {
        quiet.close();
      }
    }
    return FileByteSource.open(InputFiles.regularFile(spec, "snapshot"));
  }

  /**
   * The signature file next to the snapshot {@code spec} names ({@code SNAP.sig}, also next to a
   * URL), or null if there is none.
   */
  public static ByteSource openSignature(String spec) throws IOException, UsageException {
    if (RemoteByteSource.isRemote(spec)) {
      try {
        return RemoteObjects.open(SignatureFile.siblingOf(uri(spec)));
      } catch (NoSuchFileException e) {
        return null;
      } catch (IllegalArgumentException e) {
        throw new UsageException(e.getMessage());
      }
    }
    Path sig = SignatureFile.siblingOf(Path.of(spec));
    return Files.isRegularFile(sig) ? FileByteSource.open(sig) : null;
  }

  /** {@code spec} as a URI, or a usage error naming it. */
  public static URI uri(String spec) throws UsageException {
    try {
      return new URI(spec);
    } catch (URISyntaxException e) {
      throw new UsageException(spec + ": not a valid URL (" + e.getReason() + ")");
    }
  }
}
