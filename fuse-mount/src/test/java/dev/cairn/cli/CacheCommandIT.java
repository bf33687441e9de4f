package dev.cairn.cli;

import static dev.cairn.cli.PackCliIT.cairn;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cairn.fixture.FolderTree;
import dev.cairn.fixture.Nginx;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code cairn cache ls|du|prune} over a cache folder that also holds a user's documents: the
 * listing names the snapshots fetched, du adds up their chunk files, prune deletes by age and by
 * size, and nothing that is not the cache's is ever touched.
 */
class CacheCommandIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int MIB = 1 << 20;

  @TempDir Path dir;

  private Path pack(Path www, String name, int mib) throws Exception {
    byte[] data = new byte[mib * MIB + 10];
    new Random(mib).nextBytes(data);
    Path in = Files.write(dir.resolve(name + ".bin"), data);
    Path out = www.resolve(name + ".cairn");
    cairn("pack", in.toString(), "-o", out.toString()).checkOk();
    Files.delete(in);
    return out;
  }

  private static JsonNode json(PackCliIT.Run r) throws Exception {
    r.checkOk();
    assertEquals("", r.err());
    return JSON.readTree(r.outText());
  }

  private static void usageError(PackCliIT.Run r, String fragment) {
    assertEquals(2, r.exit(), r.err());
    assertTrue(r.err().contains(fragment), r.err());
  }

  /** The chunk files of the cache under {@code docs}. */
  private static List<Path> chunkFiles(Path docs) throws Exception {
    try (Stream<Path> s = Files.walk(docs.resolve("cairn-chunks-v1"))) {
      return s.filter(p -> p.getFileName().toString().matches("[0-9]+"))
          .filter(p -> Files.isRegularFile(p, java.nio.file.LinkOption.NOFOLLOW_LINKS))
          .sorted()
          .toList();
    }
  }

  @Test
  void listSizeAndPruneTheCacheAndNothingElse() throws Exception {
    Path www = Files.createDirectories(dir.resolve("www"));
    Path a = pack(www, "a", 6);
    Path b = pack(www, "b", 3);
    Path docs = Files.createDirectories(dir.resolve("docs"));
    Path outside = Files.writeString(dir.resolve("outside.txt"), "not the cache's");
    Files.writeString(docs.resolve("letter.txt"), "Dear reader");
    Files.writeString(docs.resolve("0"), "named like a chunk");
    Files.writeString(docs.resolve("0123456789abcdef0123456789abcdef.obj"), "named like a record");
    Files.createSymbolicLink(docs.resolve("link.txt"), outside);
    FileTime ancient = FileTime.from(Instant.now().minus(400, ChronoUnit.DAYS));
    for (String f : List.of("letter.txt", "0", "0123456789abcdef0123456789abcdef.obj")) {
      Files.setLastModifiedTime(docs.resolve(f), ancient);
    }
    Map<String, String> env = Map.of("CAIRN_CACHE_DIR", docs.toString());

    try (Nginx nginx = Nginx.serve(www, Files.createDirectories(dir.resolve("nginx")))) {
      cairn(env, "fetch", nginx.url("a.cairn")).checkOk();
      cairn(env, "fetch", nginx.url("b.cairn")).checkOk();
      // planted in the cache's own folder after the fact: a link named like a chunk, old
      Path someKey = chunkFiles(docs).get(0).getParent();
      Files.createSymbolicLink(someKey.resolve("999"), outside);
      Map<String, String> before = FolderTree.of(docs);

      JsonNode ls = json(cairn(env, "cache", "ls", "--json"));
      assertEquals(docs.toString(), ls.get("folder").asText());
      assertEquals(2, ls.get("objects").size(), ls.toString());
      long listed = 0;
      for (JsonNode o : ls.get("objects")) {
        String url = o.get("url").asText();
        Path file = url.endsWith("/a.cairn") ? a : b;
        assertEquals(Files.size(file), o.get("size").asLong(), o.toString());
        assertEquals(100.0, o.get("cached_percent").asDouble(), o.toString());
        assertEquals((Files.size(file) + MIB - 1) / MIB, o.get("chunks").asLong(), o.toString());
        listed += o.get("bytes").asLong();
      }
      String text = cairn(env, "cache", "ls").checkOk().outText();
      assertTrue(text.contains(nginx.url("a.cairn")) && text.contains("100.0"), text);

      long onDisk = 0;
      for (Path p : chunkFiles(docs)) {
        onDisk += Files.size(p);
      }
      JsonNode du = json(cairn(env, "cache", "du", "--json"));
      assertEquals(onDisk, du.get("bytes").asLong());
      assertEquals(listed, du.get("bytes").asLong());
      assertEquals(chunkFiles(docs).size(), du.get("chunks").asLong());
      assertEquals(2, du.get("objects").asLong());
      assertEquals(8L << 30, du.get("limit").asLong());

      // the chunks of a.cairn not used for 40 days go; b's stay
      String aKey = null;
      for (JsonNode o : ls.get("objects")) {
        if (o.get("url").asText().endsWith("/a.cairn")) {
          aKey = o.get("key").asText();
        }
      }
      int aChunks = 0;
      for (Path p : chunkFiles(docs)) {
        if (p.getParent().getFileName().toString().equals(aKey)) {
          Files.setLastModifiedTime(p, FileTime.from(Instant.now().minus(40, ChronoUnit.DAYS)));
          aChunks++;
        }
      }
      JsonNode old = json(cairn(env, "cache", "prune", "--older-than", "30d", "--json"));
      assertEquals(aChunks, old.get("deleted_chunks").asLong(), old.toString());
      JsonNode after = json(cairn(env, "cache", "ls", "--json"));
      assertEquals(1, after.get("objects").size(), after.toString());
      assertTrue(after.get("objects").get(0).get("url").asText().endsWith("/b.cairn"));

      // then down to 2 MiB: least recently used first
      JsonNode small = json(cairn(env, "cache", "prune", "--max-size", "2M", "--json"));
      assertTrue(small.get("remaining_bytes").asLong() <= 2 * MIB, small.toString());
      long left = 0;
      for (Path p : chunkFiles(docs)) {
        left += Files.size(p);
      }
      assertEquals(left, small.get("remaining_bytes").asLong());

      usageError(
          cairn(env, "cache", "prune"),
          "cairn: cairn cache prune needs --older-than DURATION or --max-size SIZE");
      usageError(cairn(env, "cache", "prune", "--older-than", "soon"), "'soon' is not a duration");

      // everything that was not a chunk file of the cache is as it was
      Map<String, String> now = FolderTree.of(docs);
      for (Map.Entry<String, String> e : before.entrySet()) {
        String name = Path.of(e.getKey()).getFileName() + "";
        boolean cacheChunk =
            e.getKey().startsWith("cairn-chunks-v1/")
                && name.matches("[0-9]+")
                && e.getValue().startsWith("file");
        boolean cacheOwn =
            e.getKey().startsWith("cairn-chunks-v1/") && (name.matches("[0-9a-f]{32}(\\.obj)?"));
        if (!cacheChunk && !cacheOwn) {
          assertEquals(e.getValue(), now.get(e.getKey()), e.getKey());
        }
      }
      assertEquals("link to " + outside, now.get(docs.relativize(someKey.resolve("999")) + ""));
      assertEquals("not the cache's", Files.readString(outside));
    }
  }
}
