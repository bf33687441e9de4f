package dev.cairn.read;

import dev.cairn.format.CorruptSnapshotException;
import dev.cairn.format.Header;
import dev.cairn.format.MissingParentException;
import dev.cairn.format.NotASnapshotException;
import dev.cairn.format.SnapshotId;
import dev.cairn.store.ByteSource;
import dev.cairn.store.FileByteSource;
import java.io.Closeable;
import java.io.IOException;
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
