package dev.cairn.read;

import dev.cairn.format.CorruptSnapshotException;
import dev.cairn.format.Header;
import dev.cairn.format.MissingParentException;
import dev.cairn.format.NotASnapshotException;
import dev.cairn.format.SnapshotId;
import dev.cairn.store.ByteSource;
import dev.cairn.store.FileByteSource;
import dev.cairn.store.HttpByteSource;
import java.io.Closeable;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
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
 * <p>All snapshots in the chain share one {@link BlockCache} and one {@link ReadStats}. Thread-safe
 * for reading; {@link #close()} closes every member.
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
      Path path, List<Path> searchDirs, BlockCache cache, ReadStats stats) throws IOException {
    List<Path> paths = resolve(path, searchDirs);
    List<Snapshot> opened = new ArrayList<>();
    try {
      Snapshot parent = null;
      for (int i = paths.size() - 1; i >= 0; i--) {
        parent = Snapshot.open(ByteSource.openLocal(paths.get(i)), parent, cache, stats);
        opened.add(parent);
      }
    } catch (IOException | RuntimeException e) {
      for (Snapshot s : opened) {
        s.close();
      }
      throw e;
    }
    Collections.reverse(opened);
    return new SnapshotChain(opened);
  }

  /**
   * Opens the snapshot at an HTTP(S) URL and its ancestors, each parent found from its child's path
   * hint resolved against the child's URL (then the hint's file name next to the child), its id
   * checked as for local files.
   */
  public static SnapshotChain openUrl(URI uri, BlockCache cache, ReadStats stats)
      throws IOException {
    List<ByteSource> sources = new ArrayList<>(); // top first
    List<Snapshot> opened = new ArrayList<>();
    try {
      Set<SnapshotId> seen = new HashSet<>();
      URI current = uri;
      ByteSource source = HttpByteSource.open(current);
      sources.add(source);
      Header header = Snapshot.readHeader(source);
      while (true) {
        if (!seen.add(header.snapshotId())) {
          throw new CorruptSnapshotException(
              source.describe(), "parent chain loops back to snapshot " + header.snapshotId());
        }
        if (!header.hasParent()) {
          break;
        }
        SnapshotId want = header.parentId();
        List<String> tried = new ArrayList<>();
        ByteSource found = null;
        Header foundHeader = null;
        for (URI c : urlCandidates(current, header.parentPathHint())) {
          ByteSource candidate = null;
          try {
            candidate = HttpByteSource.open(c);
            Header h = Snapshot.readHeader(candidate);
            if (h.snapshotId().equals(want)) {
              found = candidate;
              foundHeader = h;
              current = c;
              break;
            }
            tried.add(candidate.describe() + " (a different snapshot, " + h.snapshotId() + ")");
          } catch (IOException e) {
            tried.add(c + " (" + e.getMessage() + ")");
          }
          if (candidate != null) {
            candidate.close();
          }
        }
        if (found == null) {
          throw new MissingParentException(
              source.describe()
                  + ": parent snapshot "
                  + want
                  + " not found; tried "
                  + String.join(", ", tried));
        }
        sources.add(found);
        source = found;
        header = foundHeader;
      }
      Snapshot parent = null;
      for (int i = sources.size() - 1; i >= 0; i--) {
        parent = Snapshot.open(sources.get(i), parent, cache, stats);
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

  private static Set<URI> urlCandidates(URI child, String hint) {
    Set<URI> out = new LinkedHashSet<>();
    if (!hint.isEmpty()) {
      Path h = Path.of(hint);
      out.add(child.resolve(encodePath(hint)));
      Path name = h.getFileName();
      if (name != null) {
        out.add(child.resolve(encodePath(name.toString())));
      }
    }
    return out;
  }

  /** A relative path as a URI reference: each segment percent-encoded, slashes kept. */
  private static String encodePath(String path) {
    StringBuilder sb = new StringBuilder();
    for (String seg : path.split("/", -1)) {
      if (sb.length() > 0 || path.startsWith("/")) {
        sb.append('/');
      }
      sb.append(
          java.net.URLEncoder.encode(seg, java.nio.charset.StandardCharsets.UTF_8)
              .replace("+", "%20"));
    }
    return sb.toString();
  }

  /** The paths of {@code path} and its ancestors, top first, each parent's id checked. */
  public static List<Path> resolve(Path path, List<Path> searchDirs) throws IOException {
    List<Path> chain = new ArrayList<>();
    Set<SnapshotId> seen = new HashSet<>();
    Path current = path.toAbsolutePath().normalize();
    Header header = readHeader(current);
    while (true) {
      if (!seen.add(header.snapshotId())) {
        throw new CorruptSnapshotException(
            current.toString(), "parent chain loops back to snapshot " + header.snapshotId());
      }
      chain.add(current);
      if (!header.hasParent()) {
        return chain;
      }
      Path child = current;
      SnapshotId want = header.parentId();
      Set<Path> candidates = candidates(child, header.parentPathHint(), searchDirs);
      List<String> tried = new ArrayList<>();
      Path found = null;
      Header foundHeader = null;
      for (Path c : candidates) {
        if (!Files.isRegularFile(c)) {
          tried.add(c + " (missing)");
          continue;
        }
        Header h;
        try {
          h = readHeader(c);
        } catch (IOException e) {
          tried.add(c + " (" + e.getMessage() + ")");
          continue;
        }
        if (!h.snapshotId().equals(want)) {
          tried.add(c + " (a different snapshot, " + h.snapshotId() + ")");
          continue;
        }
        found = c;
        foundHeader = h;
        break;
      }
      if (found == null) {
        throw new MissingParentException(
            child
                + ": parent snapshot "
                + want
                + " not found; tried "
                + String.join(", ", tried)
                + " (keep the parent next to the child, or pass --parent-search DIR)");
      }
      current = found;
      header = foundHeader;
    }
  }

  private static Set<Path> candidates(Path child, String hint, List<Path> searchDirs) {
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

  /** Reads and checks just the header of a snapshot file. */
  public static Header readHeader(Path path) throws IOException {
    try (FileByteSource src = FileByteSource.open(path)) {
      return Snapshot.readHeader(src);
    } catch (NotASnapshotException e) {
      throw e;
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
