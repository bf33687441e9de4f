package dev.cairn.read;

import dev.cairn.error.CorruptSnapshotException;
import dev.cairn.format.BlockEntry;
import dev.cairn.format.BlockKind;
import dev.cairn.format.ContentHasher;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.LongConsumer;

/**
 * Checks every index page and every block of a snapshot: page checksums, stored-byte checksums,
 * decompression to the right length, and the content hash of the logical bytes. Unlike a read,
 * which stops at the first damage, it carries on and reports every bad block. Inherited blocks are
 * checked only for their index entry (the parent is verified on its own).
 *
 * <p>Not thread-safe; one verification per instance.
 */
public final class Verifier {
  /** Reporting stops listing problems after this many (they are still counted). */
  public static final int MAX_LISTED = 1000;

  /** One damaged block or page. */
  public record Problem(String stream, long block, String message) {}

  /** The outcome: blocks and bytes checked, and what was wrong. */
  public record Report(
      long blocksChecked, long bytesChecked, long problemCount, List<Problem> problems) {
    public boolean ok() {
      return problemCount == 0;
    }
  }

  private final Snapshot snapshot;

  public Verifier(Snapshot snapshot) {
    this.snapshot = snapshot;
  }

  /** Total logical bytes a run will check (for progress bars). */
  public long totalBytes() {
    long total = 0;
    for (StreamReader s : snapshot.streams()) {
      total += s.size();
    }
    return total;
  }

  /** Runs the check; {@code progress} receives logical bytes checked so far. */
  public Report run(LongConsumer progress) throws IOException {
    List<Problem> problems = new ArrayList<>();
    long count = 0;
    long blocks = 0;
    long bytes = 0;
    ContentHasher hasher = snapshot.header().contentHash().newHasher();
    ByteBuffer buf = ByteBuffer.allocateDirect(snapshot.header().blockSize());
    int perPage = snapshot.header().entriesPerPage();
    for (StreamReader stream : snapshot.streams()) {
      for (long b = 0; b < stream.blockCount(); b++) {
        int length = stream.blockLength(b);
        String problem = null;
        BlockEntry entry = null;
        try {
          entry = stream.entry(b);
        } catch (CorruptSnapshotException e) {
          // The whole page is unusable: report it once and skip its blocks.
          long pageEnd = Math.min(stream.blockCount(), (b / perPage + 1) * perPage);
          count++;
          add(problems, new Problem(stream.name(), b, e.getMessage()));
          // Logical bytes, not whole blocks: the page may hold the short last block.
          bytes += Math.min(stream.size(), pageEnd * stream.blockSize()) - b * stream.blockSize();
          blocks += pageEnd - b;
          b = pageEnd - 1;
          progress.accept(Math.min(bytes, totalBytes()));
          continue;
        }
        if (entry.kind() != BlockKind.PARENT) {
          buf.clear().limit(length);
          try {
            stream.readWithinBlock(b, 0, buf);
            buf.flip();
            if (!Arrays.equals(hasher.hash(buf), entry.contentHash())) {
              problem = "content hash of the logical bytes does not match the index";
            }
          } catch (CorruptSnapshotException e) {
            problem = e.getMessage();
          }
        }
        if (problem != null) {
          count++;
          add(problems, new Problem(stream.name(), b, problem));
        }
        blocks++;
        bytes += length;
        progress.accept(bytes);
      }
    }
    return new Report(blocks, bytes, count, List.copyOf(problems));
  }

  private static void add(List<Problem> problems, Problem p) {
    if (problems.size() < MAX_LISTED) {
      problems.add(p);
    }
  }
}
