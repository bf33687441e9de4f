package dev.cairn.cli;

import dev.cairn.args.Human;
import dev.cairn.args.Snapshots;
import dev.cairn.error.ExitCode;
import dev.cairn.error.MissingParentException;
import dev.cairn.format.BlockKind;
import dev.cairn.format.Footer;
import dev.cairn.format.Header;
import dev.cairn.read.BlockCache;
import dev.cairn.read.ReadStats;
import dev.cairn.read.Snapshot;
import dev.cairn.read.SnapshotChain;
import dev.cairn.read.StreamReader;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code cairn info}: what a snapshot holds. Reads the header, footer and index, no data. */
@Command(
    name = "info",
    mixinStandardHelpOptions = true,
    description = "Show a snapshot's streams, sizes, codec, block size and parent.")
final class InfoCommand implements Callable<Integer> {
  @Mixin GlobalOptions global;

  @Mixin ParentSearch parentSearch;

  @Parameters(
      index = "0",
      paramLabel = "SNAP",
      description = "Snapshot file, http(s) URL or s3://BUCKET/KEY.")
  String snap;

  @Option(names = "--json", description = "Print one JSON object.")
  boolean json;

  @Override
  public Integer call() throws Exception {
    try (SnapshotChain c =
        Snapshots.openChain(snap, cache(), new ReadStats(), parentSearch.dirs())) {
      List<Map<String, Object>> chain = new ArrayList<>();
      for (Snapshot member : c.members()) {
        Map<String, Object> cm = new LinkedHashMap<>();
        cm.put("snapshot", member.describe());
        cm.put("id", member.header().snapshotId().toString());
        chain.add(cm);
      }
      report(c.top(), chain, null);
    } catch (MissingParentException e) {
      // Everything but the inherited blocks can still be described: open the file on its own.
      try (Snapshot s = Snapshot.open(Snapshots.openSource(snap), cache(), new ReadStats())) {
        report(s, List.of(), e.getMessage());
      }
    }
    return ExitCode.OK;
  }

  private void report(Snapshot s, List<Map<String, Object>> chain, String parentProblem)
      throws java.io.IOException {
    Map<String, Object> info = describe(s);
    info.put("chain", chain);
    info.put("parent_error", parentProblem);
    if (json) {
      System.out.println(Json.of(info));
    } else {
      print(s, info);
    }
  }

  private static BlockCache cache() {
    return BlockCache.withCapacity(1 << 20);
  }

  static Map<String, Object> describe(Snapshot s) throws java.io.IOException {
    Header h = s.header();
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("snapshot", s.describe());
    m.put("id", h.snapshotId().toString());
    m.put("format_version", Header.MAJOR_VERSION + "." + h.minorVersion());
    m.put("created", Instant.ofEpochMilli(h.createdMillis()).toString());
    m.put("codec", h.codec().displayName());
    m.put("level", h.codecLevel());
    m.put("block_size", h.blockSize());
    m.put("content_hash", h.contentHash().displayName());
    m.put("dictionary_bytes", h.dictionaryLength());
    m.put("encrypted", h.encryption().enabled());
    m.put("parent_id", h.hasParent() ? h.parentId().toString() : null);
    m.put("parent_path_hint", h.hasParent() ? h.parentPathHint() : null);
    m.put("file_bytes", s.source().size());
    List<Map<String, Object>> streams = new ArrayList<>();
    for (StreamReader r : s.streams()) {
      Footer.StreamLayout layout = s.footer().streams().get(r.index());
      long[] kinds = new long[BlockKind.values().length];
      for (long b = 0; b < r.blockCount(); b++) {
        kinds[r.entry(b).kind().ordinal()]++;
      }
      Map<String, Object> sm = new LinkedHashMap<>();
      sm.put("role", r.index() == 0 ? "primary" : "secondary");
      sm.put("name", r.name());
      sm.put("size", r.size());
      sm.put("blocks", r.blockCount());
      sm.put("stored_bytes", layout.storedBytes());
      sm.put("compressed_blocks", kinds[BlockKind.COMPRESSED.ordinal()]);
      sm.put("raw_blocks", kinds[BlockKind.RAW.ordinal()]);
      sm.put("zero_blocks", kinds[BlockKind.ZERO.ordinal()]);
      sm.put("parent_blocks", kinds[BlockKind.PARENT.ordinal()]);
      streams.add(sm);
    }
    m.put("streams", streams);
    return m;
  }

  @SuppressWarnings("unchecked")
  private static void print(Snapshot s, Map<String, Object> m) {
    Header h = s.header();
    System.out.printf("snapshot    %s%n", m.get("snapshot"));
    System.out.printf("id          %s%n", m.get("id"));
    System.out.printf("format      %s%n", m.get("format_version"));
    System.out.printf("created     %s%n", m.get("created"));
    System.out.printf("codec       %s level %d%n", h.codec().displayName(), h.codecLevel());
    System.out.printf("block size  %s%n", Human.bytes(h.blockSize()));
    System.out.printf("hash        %s%n", h.contentHash().displayName());
    if (h.dictionaryLength() > 0) {
      System.out.printf("dictionary  %s (zstd, trained)%n", Human.bytes(h.dictionaryLength()));
    }
    System.out.printf("encrypted   %s%n", h.encryption().enabled() ? "yes (AES-256-GCM)" : "no");
    System.out.printf(
        "parent      %s%n",
        h.hasParent() ? h.parentId() + " (" + h.parentPathHint() + ")" : "none");
    if (m.get("parent_error") != null) {
      System.out.printf("parent      NOT USABLE: %s%n", m.get("parent_error"));
    } else if (h.hasParent()) {
      List<Map<String, Object>> chain = (List<Map<String, Object>>) m.get("chain");
      for (int i = 1; i < chain.size(); i++) {
        System.out.printf(
            "%s %s (%s)%n",
            i == 1 ? "chain      " : "           ",
            chain.get(i).get("snapshot"),
            chain.get(i).get("id"));
      }
    }
    System.out.printf("file size   %s%n", Human.bytes((Long) m.get("file_bytes")));
    for (Map<String, Object> sm : (List<Map<String, Object>>) m.get("streams")) {
      long size = (Long) sm.get("size");
      long stored = (Long) sm.get("stored_bytes");
      System.out.printf(
          Locale.ROOT,
          "%-9s   %s: %s (%d bytes), %d blocks (%d compressed, %d raw, %d zero, %d inherited), stored %s%s%n",
          sm.get("role"),
          sm.get("name"),
          Human.bytes(size),
          size,
          (Long) sm.get("blocks"),
          (Long) sm.get("compressed_blocks"),
          (Long) sm.get("raw_blocks"),
          (Long) sm.get("zero_blocks"),
          (Long) sm.get("parent_blocks"),
          Human.bytes(stored),
          size == 0 ? "" : String.format(Locale.ROOT, " (%.1f%%)", 100.0 * stored / size));
    }
  }
}
