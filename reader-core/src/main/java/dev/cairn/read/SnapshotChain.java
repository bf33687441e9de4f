package dev.cairn.read;

import dev.cairn.crypto.KeyRing;
import dev.cairn.error.CorruptSnapshotException;
import dev.cairn.error.MissingParentException;
import dev.cairn.error.RemoteUnavailableException;
import dev.cairn.format.Header;
import dev.cairn.format.SnapshotId;
import dev.cairn.sign.Trust;
import dev.cairn.source.ByteSource;
import dev.cairn.source.OfflineNotices;
import dev.cairn.trust.SignatureCheck;
import java.io.Closeable;
import java.io.IOException;
import java.net.URI;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
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
        new ChainMembers.LocalFiles(searchDirs, trust.required()),
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
    // a member read from the disk cache alone (server unreachable) says so once the whole chain
    // opened; a chain that fails says only why
    try (OfflineNotices notices = OfflineNotices.collect()) {
      SnapshotChain chain = open(uri, new ChainMembers.Urls(), cache, stats, keys, trust);
      notices.print();
      return chain;
    }
  }

  /**
   * The local files of {@code path}'s chain, top first, found as {@link #open} finds them but
   * without opening any snapshot (so without keys): what signing a thin snapshot needs to find its
   * parent's signature.
   */
  public static List<Path> locate(Path path, List<Path> searchDirs) throws IOException {
    List<Found<Path>> found =
        discover(path.toAbsolutePath().normalize(), new ChainMembers.LocalFiles(searchDirs, false));
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

  /**
   * A member of a remote chain found by {@link #locateUrl}: where, and its bytes (the caller's).
   */
  public record RemoteMember(URI location, ByteSource source) {}

  /**
   * The members of the chain at {@code uri}, top first, found as {@link #openUrl} finds them but
   * without opening any snapshot (so without keys), each with its bytes open: what warming the disk
   * cache needs. The caller closes the sources.
   */
  public static List<RemoteMember> locateUrl(URI uri) throws IOException {
    List<RemoteMember> out = new ArrayList<>();
    try (OfflineNotices notices = OfflineNotices.collect()) {
      for (Found<URI> f : discover(uri, new ChainMembers.Urls())) {
        out.add(new RemoteMember(f.location(), f.source()));
      }
      notices.print();
    }
    return out;
  }

  /** A member found: where, and its bytes (owned by whoever holds the record). */
  private record Found<L>(L location, ByteSource source) {}

  /**
   * Resolves a chain from the top: each member's source is opened once and its header checked to
   * find the next. On failure every source opened is closed.
   */
  private static <L> List<Found<L>> discover(L top, ChainMembers<L> where) throws IOException {
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
        RemoteUnavailableException unreachable = null;
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
          } catch (RemoteUnavailableException e) {
            unreachable = unreachable == null ? e : unreachable;
            tried.add(c + " (" + e.getMessage() + ")");
          } catch (IOException e) {
            tried.add(c + " (" + e.getMessage() + ")");
          }
          if (candidate != null) {
            candidate.close();
          }
        }
        if (next == null && unreachable != null) {
          // not missing: its server did not answer (and the disk cache could not stand in)
          throw unreachable;
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
      ChainMembers<L> where,
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
