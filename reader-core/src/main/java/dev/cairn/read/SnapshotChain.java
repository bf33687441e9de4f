package dev.cairn.read;

import dev.cairn.crypto.KeyRing;
import dev.cairn.error.CorruptSnapshotException;
import dev.cairn.error.MissingParentException;
import dev.cairn.error.UntrustedSnapshotException;
import dev.cairn.format.Header;
import dev.cairn.format.SnapshotId;
import dev.cairn.sign.Trust;
import dev.cairn.source.ByteSource;
import dev.cairn.source.ChunkCachingSource;
import dev.cairn.source.FileByteSource;
import dev.cairn.source.RemoteByteSource;
import dev.cairn.trust.SignatureCheck;
import dev.cairn.trust.SignatureFile;
import java.io.Closeable;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * A snapshot together with all its ancestors, opened bottom-up so each thin snapshot reads its
 * inherited blocks from its parent. A child names its parent by snapshot id plus a path hint
 * relative to the child's directory; the parent is looked for at the hint, then under the hint's
 * file name in the child's directory, then in each extra search directory. The id must match: a
 * moved, replaced or unrelated file is an error naming the expected id and the paths tried, never a
 * silent source of wrong bytes. Chains may be of any depth; a cycle is refused.
 *
 * <p>All snapshots in the chain share one {@link BlockCache} and one {@link ReadStatsCounter}.
 * Thread-safe for reading; {@link #close()} closes every member.
 */
public final class SnapshotChain implements Closeable {
  private final List<Snapshot> members; // top first

  private SnapshotChain(List<Snapshot> members) {
    this.members = List.copyOf(members);
  }

  /**
   * Opens {@code path} and its ancestors.
   *
   * @param searchDirs extra directories to look for parents in (after the hint and the child's own
   *     directory)
   */
  public static SnapshotChain open(
      Path path, List<Path> searchDirs, BlockCache cache, ReadStatsCounter stats)
      throws IOException {
    return open(path, searchDirs, cache, stats, KeyRing.NONE, Trust.NONE);
  }

  /** Like {@link #open(Path, List, BlockCache, ReadStatsCounter, KeyRing, Trust)}, no trust. */
  public static SnapshotChain open(
      Path path, List<Path> searchDirs, BlockCache cache, ReadStatsCounter stats, KeyRing keys)
      throws IOException {
    return open(path, searchDirs, cache, stats, keys, Trust.NONE);
  }

  /**
   * Opens {@code path} and its ancestors, each encrypted member with the first of {@code keys} that
   * opens it (members may be sealed under different secrets) and, when {@code trust} names keys,
   * each member checked against its signature file ({@code MEMBER.sig}) by one of them.
   */
  public static SnapshotChain open(
      Path path,
      List<Path> searchDirs,
      BlockCache cache,
      ReadStatsCounter stats,
      KeyRing keys,
      Trust trust)
      throws IOException {
    return open(
        path.toAbsolutePath().normalize(),
        new LocalFiles(searchDirs, trust.required()),
        cache,
        stats,
        keys,
        trust);
  }

  /**
   * Opens the snapshot at an HTTP(S) or S3 URL and its ancestors, each parent found from its
   * child's path hint resolved against the child's URL (then the hint's file name next to the
   * child), its id checked as for local files; signature files are looked for at each member's URL
   * with {@code .sig} added to its path.
   */
  public static SnapshotChain openUrl(
      URI uri, BlockCache cache, ReadStatsCounter stats, KeyRing keys, Trust trust)
      throws IOException {
    return open(uri, new Urls(), cache, stats, keys, trust);
  }

  /**
   * The local files of {@code path}'s chain, top first, found as {@link #open} finds them but
   * without opening any snapshot (so without keys): what signing a thin snapshot needs to find its
   * parent's signature.
   */
  public static List<Path> locate(Path path, List<Path> searchDirs) throws IOException {
    List<Found<Path>> found =
        discover(path.toAbsolutePath().normalize(), new LocalFiles(searchDirs, false));
    List<Path> out = new ArrayList<>();
    IOException first = null;
    for (Found<Path> f : found) {
      out.add(f.location());
      try {
        f.source().close();
      } catch (IOException e) {
        first = first == null ? e : first;
      }
    }
    if (first != null) {
      throw first;
    }
    return out;
  }

  /** Where the members of a chain live: local files or URLs. */
  private interface Locations<L> {
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
  }

  /** A member found: where, and its bytes (owned by whoever holds the record). */
  private record Found<L>(L location, ByteSource source) {}

  /**
   * Resolves a chain from the top: each member's source is opened once and its header checked to
   * find the next. On failure every source opened is closed.
   */
  private static <L> List<Found<L>> discover(L top, Locations<L> where) throws IOException {
    List<Found<L>> found = new ArrayList<>(); // top first
    try {
      Set<SnapshotId> seen = new HashSet<>();
      L current = top;
      ByteSource source = where.open(current);
      found.add(new Found<>(current, source));
      Header header = Snapshot.readHeader(source);
      while (true) {
        if (!seen.add(header.snapshotId())) {
          throw new CorruptSnapshotException(
              source.describe(), "parent chain loops back to snapshot " + header.snapshotId());
        }
        if (!header.hasParent()) {
          return found;
        }
        SnapshotId want = header.parentId();
        List<String> tried = new ArrayList<>();
        ByteSource next = null;
        for (L c : where.parentCandidates(current, header.parentPathHint())) {
          ByteSource candidate = null;
          try {
            candidate = where.open(c);
            Header h = Snapshot.readHeader(candidate);
            if (h.snapshotId().equals(want)) {
              next = candidate;
              current = c;
              header = h;
              break;
            }
            tried.add(c + " (a different snapshot, " + h.snapshotId() + ")");
          } catch (NoSuchFileException e) {
            tried.add(c + " (missing)");
          } catch (IOException e) {
            tried.add(c + " (" + e.getMessage() + ")");
          }
          if (candidate != null) {
            candidate.close();
          }
        }
        if (next == null) {
          throw new MissingParentException(
              source.describe()
                  + ": parent snapshot "
                  + want
                  + " not found; tried "
                  + String.join(", ", tried)
                  + where.advice());
        }
        found.add(new Found<>(current, next));
        source = next;
      }
    } catch (IOException | RuntimeException e) {
      for (Found<L> f : found) {
        f.source().close();
      }
      throw e;
    }
  }

  /**
   * Resolves and opens a chain from the top ({@link #discover}), then opens the snapshots
   * bottom-up, each over its parent, each checked against its signature first when {@code trust}
   * names keys.
   */
  private static <L> SnapshotChain open(
      L top,
      Locations<L> where,
      BlockCache cache,
      ReadStatsCounter stats,
      KeyRing keys,
      Trust trust)
      throws IOException {
    List<Found<L>> found = discover(top, where);
    List<ByteSource> sources = new ArrayList<>(); // top first
    for (Found<L> f : found) {
      sources.add(f.source());
    }
    List<Snapshot> opened = new ArrayList<>(); // bottom first
    try {
      Snapshot parent = null;
      for (int i = sources.size() - 1; i >= 0; i--) {
        ByteSource source = sources.get(i);
        if (trust.required()) {
          ByteSource sig;
          try {
            sig = where.openSignature(found.get(i).location());
          } catch (NoSuchFileException e) {
            throw SignatureCheck.unsigned(source.describe(), e.getFile(), trust);
          }
          source = SignatureCheck.open(source, sig, trust);
          sources.set(i, source);
        }
        parent = Snapshot.open(source, parent, cache, stats, keys);
        opened.add(parent);
      }
    } catch (IOException | RuntimeException e) {
      for (Snapshot s : opened) {
        s.close();
      }
      // opened holds the bottom members, which own their sources; close the rest
      for (ByteSource src : sources.subList(0, sources.size() - opened.size())) {
        src.close();
      }
      throw e;
    }
    Collections.reverse(opened);
    return new SnapshotChain(opened);
  }

  /**
   * Members as local files: the hint, then its file name next to the child and in searchDirs.
   * Verified members are read with positional reads, not mapped: a verified read copies every byte
   * into memory of its own before hashing it, so a mapping would save no copy, and its pages would
   * count as the serving process's resident memory.
   */
  private record LocalFiles(List<Path> searchDirs, boolean verified) implements Locations<Path> {
    @Override
    public ByteSource open(Path path) throws IOException {
      if (!Files.isRegularFile(path)) {
        throw new NoSuchFileException(path.toString());
      }
      return verified ? FileByteSource.open(path) : ByteSource.openLocal(path);
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
  private record Urls() implements Locations<URI> {
    @Override
    public ByteSource open(URI uri) throws IOException {
      return ChunkCachingSource.open(uri);
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
     * 1 MiB chunks would fetch thirty times that.
     */
    @Override
    public ByteSource openSignature(URI uri) throws IOException {
      try {
        return RemoteByteSource.open(SignatureFile.siblingOf(uri));
      } catch (NoSuchFileException e) {
        throw new NoSuchFileException(SignatureFile.siblingOf(uri).toString());
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

  /** The snapshot asked for. */
  public Snapshot top() {
    return members.get(0);
  }

  /** The snapshot and its ancestors, top first. */
  public List<Snapshot> members() {
    return members;
  }

  @Override
  public void close() throws IOException {
    IOException first = null;
    for (Snapshot s : members) {
      try {
        s.close();
      } catch (IOException e) {
        if (first == null) {
          first = e;
        }
      }
    }
    if (first != null) {
      throw first;
    }
  }
}
