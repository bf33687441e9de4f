package dev.cairn.read;

import dev.cairn.error.UntrustedSnapshotException;
import dev.cairn.source.ByteSource;
import dev.cairn.source.FileByteSource;
import dev.cairn.source.RemoteByteSource;
import dev.cairn.source.RemoteObjects;
import dev.cairn.trust.SignatureFile;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Where the members of a chain live, for {@link SnapshotChain}: local files ({@link LocalFiles}) or
 * URLs ({@link Urls}); how a member's bytes and signature are opened and where a child looks for
 * its parent. Stateless records; thread-safe.
 */
sealed interface ChainMembers<L> permits ChainMembers.LocalFiles, ChainMembers.Urls {
  /** The snapshot's bytes; {@link NoSuchFileException} if there is nothing there. */
  ByteSource open(L location) throws IOException;

  /** Where a child at {@code child} with path hint {@code hint} may find its parent, in order. */
  Set<L> parentCandidates(L child, String hint);

  /** What to tell a user whose parent was found nowhere. */
  String advice();

  /**
   * The signature file of the snapshot at {@code location}; {@link NoSuchFileException} naming it
   * if there is none.
   */
  ByteSource openSignature(L location) throws IOException;

  /**
   * Members as local files: the hint, then its file name next to the child and in searchDirs.
   * Verified members are read with positional reads, not mapped: a verified read copies every byte
   * into memory of its own before hashing it, so a mapping would save no copy, and its pages would
   * count as the serving process's resident memory. They read around each small read ({@link
   * FileByteSource#openForRandomReads}), which a mapping's page fault would have done.
   */
  record LocalFiles(List<Path> searchDirs, boolean verified) implements ChainMembers<Path> {
    @Override
    public ByteSource open(Path path) throws IOException {
      if (!Files.isRegularFile(path)) {
        throw new NoSuchFileException(path.toString());
      }
      return verified ? FileByteSource.openForRandomReads(path) : ByteSource.openLocal(path);
    }

    @Override
    public Set<Path> parentCandidates(Path child, String hint) {
      Set<Path> out = new LinkedHashSet<>();
      Path dir = child.getParent();
      if (!hint.isEmpty()) {
        Path h = Path.of(hint);
        out.add(dir.resolve(h).normalize());
        Path name = h.getFileName();
        if (name != null) {
          out.add(dir.resolve(name).normalize());
          for (Path d : searchDirs) {
            out.add(d.toAbsolutePath().resolve(name).normalize());
          }
        }
      }
      return out;
    }

    @Override
    public String advice() {
      return " (keep the parent next to the child, or pass --parent-search DIR)";
    }

    @Override
    public ByteSource openSignature(Path path) throws IOException {
      Path sig = SignatureFile.siblingOf(path);
      if (!Files.exists(sig)) {
        throw new NoSuchFileException(sig.toString());
      }
      if (!Files.isRegularFile(sig)) {
        throw new UntrustedSnapshotException(sig.toString(), "is not a regular file");
      }
      return FileByteSource.open(sig);
    }
  }

  /**
   * Members as remote objects (HTTP(S) or S3): the hint, then its file name, resolved against the
   * child's URL.
   */
  record Urls() implements ChainMembers<URI> {
    @Override
    public ByteSource open(URI uri) throws IOException {
      return RemoteObjects.openBothEnds(uri);
    }

    @Override
    public Set<URI> parentCandidates(URI child, String hint) {
      Set<URI> out = new LinkedHashSet<>();
      if (!hint.isEmpty()) {
        out.add(child.resolve(encodePath(hint)));
        Path name = Path.of(hint).getFileName();
        if (name != null) {
          out.add(child.resolve(encodePath(name.toString())));
        }
      }
      return out;
    }

    @Override
    public String advice() {
      return "";
    }

    /**
     * The signature file is read with exact ranged requests, not through the chunk cache: what a
     * mount reads of it is its 16-byte prefix, its tail and table, and one 32 KiB digest page per 4
     * MiB of snapshot read (kept in memory by {@link dev.cairn.trust.VerifiedSource}), where whole
     * 1 MiB chunks would fetch thirty times that. With the server unreachable, the copy in the disk
     * cache ({@code cairn fetch} puts it there) is read instead.
     */
    @Override
    public ByteSource openSignature(URI uri) throws IOException {
      URI sig = SignatureFile.siblingOf(uri);
      try {
        return RemoteByteSource.open(sig);
      } catch (NoSuchFileException e) {
        throw new NoSuchFileException(sig.toString());
      } catch (IOException unreachable) {
        // the server is not there: read the copy `cairn fetch` left in the disk cache, as the
        // snapshot itself is read then (ChunkCachingSource's offline path), or fail as it would
        try {
          return RemoteObjects.open(sig);
        } catch (IOException offline) {
          offline.addSuppressed(unreachable);
          throw offline;
        }
      }
    }

    /** A relative path as a URI reference: each segment percent-encoded, slashes kept. */
    private static String encodePath(String path) {
      StringBuilder sb = new StringBuilder();
      for (String seg : path.split("/", -1)) {
        if (sb.length() > 0 || path.startsWith("/")) {
          sb.append('/');
        }
        sb.append(URLEncoder.encode(seg, StandardCharsets.UTF_8).replace("+", "%20"));
      }
      return sb.toString();
    }
  }
}
