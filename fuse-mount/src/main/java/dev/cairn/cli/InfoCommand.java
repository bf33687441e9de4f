package dev.cairn.cli;

import dev.cairn.args.Human;
import dev.cairn.args.Snapshots;
import dev.cairn.crypto.KeyRing;
import dev.cairn.error.CairnException;
import dev.cairn.error.ExitCode;
import dev.cairn.error.MissingKeyException;
import dev.cairn.error.MissingParentException;
import dev.cairn.error.UsageException;
import dev.cairn.format.BlockKind;
import dev.cairn.format.Footer;
import dev.cairn.format.Header;
import dev.cairn.read.BlockCache;
import dev.cairn.read.ReadStats;
import dev.cairn.read.Snapshot;
import dev.cairn.read.SnapshotChain;
import dev.cairn.read.SnapshotSummary;
import dev.cairn.sign.Trust;
import dev.cairn.source.ByteSource;
import dev.cairn.trust.SignatureFile;
import java.io.IOException;
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

/**
 * {@code cairn info}: what a snapshot holds. Reads the header, footer and index, no data. An
 * encrypted snapshot given without its key is described from its plaintext header and footer alone
 * ({@link SnapshotSummary}): streams and sizes, but no block kinds (the index is sealed), and the
 * footer's numbers marked as not verified.
 */
@Command(
    name = "info",
    mixinStandardHelpOptions = true,
    description = {
      "Show a snapshot's streams, sizes, codec, block size, encryption and parent.",
      "Works without a key on an encrypted snapshot (sizes then unverified, block kinds unknown)."
    })
final class InfoCommand implements Callable<Integer> {
  @Mixin GlobalOptions global;

  @Mixin ParentSearch parentSearch;

  @Mixin KeyOptions keys;

  @Parameters(
      index = "0",
      paramLabel = "SNAP",
      description = "Snapshot file, http(s) URL or s3://BUCKET/KEY.")
  String snap;

  @Option(names = "--json", description = "Print one JSON object.")
  boolean json;

  @Override
  public Integer call() throws Exception {
    KeyRing ring = keys.ring();
    try (SnapshotChain c =
        Snapshots.openChain(
            snap, cache(), new ReadStats(), parentSearch.dirs(), ring, Trust.NONE)) {
      List<Map<String, Object>> chain = new ArrayList<>();
      for (Snapshot member : c.members()) {
        Map<String, Object> cm = new LinkedHashMap<>();
        cm.put("snapshot", member.describe());
        cm.put("id", member.header().snapshotId().toString());
        chain.add(cm);
      }
      report(describe(c.top()), chain, null);
    } catch (MissingParentException | MissingKeyException e) {
      alone(ring, e);
    }
    return ExitCode.OK;
  }

  /**
   * Describes the file on its own when its chain cannot be opened: everything but the inherited
   * blocks, and without a key for the file itself only what its header and footer say.
   */
  private void alone(KeyRing ring, CairnException chainProblem) throws IOException {
    ByteSource source = Snapshots.openSource(snap);
    SnapshotSummary summary;
    try {
      summary = SnapshotSummary.read(source);
    } catch (IOException | RuntimeException e) {
      source.close();
      throw e;
    }
    if (summary.header().encryption().enabled() && ring.isEmpty()) {
      try (source) {
        // the missing key is this file's own: no parent problem to report unless one was found
        String parentProblem =
            chainProblem instanceof MissingParentException ? chainProblem.getMessage() : null;
        report(describe(source.describe(), summary, null), List.of(), parentProblem);
      }
      return;
    }
    try (Snapshot s = Snapshot.open(source, cache(), new ReadStats(), ring)) {
      report(describe(s), List.of(), chainProblem.getMessage());
    }
  }

  private void report(Map<String, Object> info, List<Map<String, Object>> chain, String problem)
      throws IOException, UsageException {
    info.put("chain", chain);
    info.put("parent_error", problem);
    info.put("signature", signature(snap));
    if (json) {
      System.out.println(Json.of(info));
    } else {
      print(info);
    }
  }

  /**
   * What the signature file next to the snapshot says, checked only against itself (whether the
   * signature verifies with the key it names and covers a file of this size): trusting that key is
   * for {@code --trust} on the commands that read. Null when there is no signature file.
   */
  private static Map<String, Object> signature(String spec) throws IOException, UsageException {
    ByteSource sig = Snapshots.openSignature(spec);
    if (sig == null) {
      return null;
    }
    Map<String, Object> m = new LinkedHashMap<>();
    try (sig) {
      m.put("file", sig.describe());
      SignatureFile file = SignatureFile.read(sig);
      m.put("key_id", file.signer().id().hex());
      m.put("signed_at", Instant.ofEpochMilli(file.statement().signedAtMillis()).toString());
      m.put("signature_valid", file.signatureValid());
      m.put("snapshot_id", file.statement().snapshot().toString());
      m.put("signed_bytes", file.statement().fileSize());
      m.put("error", null);
    } catch (CairnException e) {
      m.put("error", e.getMessage());
    }
    return m;
  }

  private static BlockCache cache() {
    return BlockCache.withCapacity(1 << 20);
  }

  static Map<String, Object> describe(Snapshot s) throws IOException {
    SnapshotSummary summary =
        new SnapshotSummary(s.header(), s.footer(), s.source().size(), s.dataStart());
    return describe(s.describe(), summary, s);
  }

  /**
   * The report's fields; {@code opened} (null if the snapshot could not be opened) gives the block
   * kinds, read from the index.
   */
  private static Map<String, Object> describe(String name, SnapshotSummary summary, Snapshot opened)
      throws IOException {
    Header h = summary.header();
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("snapshot", name);
    m.put("id", h.snapshotId().toString());
    m.put("format_version", Header.MAJOR_VERSION + "." + h.minorVersion());
    m.put("created", Instant.ofEpochMilli(h.createdMillis()).toString());
    m.put("codec", h.codec().displayName());
    m.put("level", h.codecLevel());
    m.put("block_size", h.blockSize());
    m.put("content_hash", h.contentHash().displayName());
    m.put("dictionary_bytes", h.dictionaryLength());
    m.put("encrypted", h.encryption().enabled());
    m.put("encryption", EncryptionJson.of(h.encryption()));
    // opening checks the footer's tag; without the key it is only checked for damage
    m.put("footer_verified", opened != null || summary.verified());
    m.put("parent_id", h.hasParent() ? h.parentId().toString() : null);
    m.put("parent_path_hint", h.hasParent() ? h.parentPathHint() : null);
    m.put("file_bytes", summary.fileSize());
    List<Map<String, Object>> streams = new ArrayList<>();
    for (int i = 0; i < h.streamNames().size(); i++) {
      Footer.StreamLayout layout = summary.footer().streams().get(i);
      Map<String, Object> sm = new LinkedHashMap<>();
      sm.put("role", i == 0 ? "primary" : "secondary");
      sm.put("name", h.streamNames().get(i));
      sm.put("size", layout.size());
      sm.put("blocks", layout.blockCount());
      sm.put("stored_bytes", layout.storedBytes());
      long[] kinds = opened == null ? null : kinds(opened, i);
      sm.put("compressed_blocks", kinds == null ? null : kinds[BlockKind.COMPRESSED.ordinal()]);
      sm.put("raw_blocks", kinds == null ? null : kinds[BlockKind.RAW.ordinal()]);
      sm.put("zero_blocks", kinds == null ? null : kinds[BlockKind.ZERO.ordinal()]);
      sm.put("parent_blocks", kinds == null ? null : kinds[BlockKind.PARENT.ordinal()]);
      streams.add(sm);
    }
    m.put("streams", streams);
    return m;
  }

  /** Blocks of each {@link BlockKind} in stream {@code stream}, from the index. */
  private static long[] kinds(Snapshot s, int stream) throws IOException {
    long[] kinds = new long[BlockKind.values().length];
    for (long b = 0; b < s.stream(stream).blockCount(); b++) {
      kinds[s.stream(stream).entry(b).kind().ordinal()]++;
    }
    return kinds;
  }

  @SuppressWarnings("unchecked")
  private static void print(Map<String, Object> m) {
    System.out.printf("snapshot    %s%n", m.get("snapshot"));
    System.out.printf("id          %s%n", m.get("id"));
    System.out.printf("format      %s%n", m.get("format_version"));
    System.out.printf("created     %s%n", m.get("created"));
    System.out.printf("codec       %s level %d%n", m.get("codec"), (Integer) m.get("level"));
    System.out.printf("block size  %s%n", Human.bytes((Integer) m.get("block_size")));
    System.out.printf("hash        %s%n", m.get("content_hash"));
    int dictionary = (Integer) m.get("dictionary_bytes");
    if (dictionary > 0) {
      System.out.printf("dictionary  %s (zstd, trained)%n", Human.bytes(dictionary));
    }
    Map<String, Object> encryption = (Map<String, Object>) m.get("encryption");
    System.out.printf(
        "encrypted   %s%n", encryption == null ? "no" : encryption.get("description"));
    if (!(Boolean) m.get("footer_verified")) {
      System.out.println(
          "footer      not verified without a key (sizes as stored; block kinds need the key)");
    }
    System.out.printf(
        "parent      %s%n",
        m.get("parent_id") != null
            ? m.get("parent_id") + " (" + m.get("parent_path_hint") + ")"
            : "none");
    List<Map<String, Object>> chain = (List<Map<String, Object>>) m.get("chain");
    if (m.get("parent_error") != null) {
      System.out.printf("parent      NOT USABLE: %s%n", m.get("parent_error"));
    } else if (m.get("parent_id") != null) {
      for (int i = 1; i < chain.size(); i++) {
        System.out.printf(
            "%s %s (%s)%n",
            i == 1 ? "chain      " : "           ",
            chain.get(i).get("snapshot"),
            chain.get(i).get("id"));
      }
    }
    Map<String, Object> sig = (Map<String, Object>) m.get("signature");
    if (sig == null) {
      System.out.println("signed      no");
    } else if (sig.get("error") != null) {
      System.out.printf("signed      UNREADABLE signature file: %s%n", sig.get("error"));
    } else {
      boolean matches =
          (Boolean) sig.get("signature_valid")
              && m.get("id").equals(sig.get("snapshot_id"))
              && m.get("file_bytes").equals(sig.get("signed_bytes"));
      System.out.printf(
          "signed      by key %s, %s (%s)%n",
          sig.get("key_id"),
          sig.get("signed_at"),
          matches
              ? "not checked against trusted keys: use --trust PUB when reading"
              : "INVALID: the signature does not verify or is for another file");
    }
    System.out.printf("file size   %s%n", Human.bytes((Long) m.get("file_bytes")));
    for (Map<String, Object> sm : (List<Map<String, Object>>) m.get("streams")) {
      long size = (Long) sm.get("size");
      long stored = (Long) sm.get("stored_bytes");
      String kinds =
          sm.get("compressed_blocks") == null
              ? ""
              : String.format(
                  Locale.ROOT,
                  " (%d compressed, %d raw, %d zero, %d inherited)",
                  (Long) sm.get("compressed_blocks"),
                  (Long) sm.get("raw_blocks"),
                  (Long) sm.get("zero_blocks"),
                  (Long) sm.get("parent_blocks"));
      System.out.printf(
          Locale.ROOT,
          "%-9s   %s: %s (%d bytes), %d blocks%s, stored %s%s%n",
          sm.get("role"),
          sm.get("name"),
          Human.bytes(size),
          size,
          (Long) sm.get("blocks"),
          kinds,
          Human.bytes(stored),
          size == 0 ? "" : String.format(Locale.ROOT, " (%.1f%%)", 100.0 * stored / size));
    }
  }
}
