package dev.cairn.fuse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cairn.read.ReadStats;
import dev.cairn.read.ReadStatsSnapshot;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class StatsReportTest {
  @Test
  void countersThenMountInfo() throws Exception {
    ReadStats stats = new ReadStats();
    stats.recordError();
    Instant started = Instant.parse("2026-01-01T00:00:00Z");
    MountInfo info =
        new MountInfo(
            "/s/base.cairn",
            "00112233445566778899aabbccddeeff",
            Path.of("/mnt/s"),
            Path.of("/var/tmp/cairn/mount-1.log"),
            4242,
            256L << 20,
            started);
    Map<String, Object> report =
        StatsReport.build(
            stats.snapshot(),
            12345,
            info,
            List.of(new StatsReport.StreamEntry("disk.img", 1 << 30)),
            started.plusMillis(61_500));
    byte[] json = StatsReport.render(report);
    String text = new String(json, StandardCharsets.UTF_8);
    assertTrue(text.endsWith("}\n"), text);
    JsonNode n = new ObjectMapper().readTree(json);
    assertEquals(1, n.get("errors").asLong());
    assertEquals(0, n.get("reads").asLong());
    assertEquals(0, n.get("bytes_read").asLong());
    assertTrue(n.has("blocks_decompressed"));
    assertTrue(n.has("cache_hits"));
    assertTrue(n.has("cache_misses"));
    assertEquals(12345, n.get("cache_bytes").asLong());
    JsonNode m = n.get("mount");
    assertEquals("/s/base.cairn", m.get("snapshot").asText());
    assertEquals("/mnt/s", m.get("mount_point").asText());
    assertEquals("/var/tmp/cairn/mount-1.log", m.get("log_file").asText());
    assertEquals(4242, m.get("pid").asLong());
    assertEquals(256L << 20, m.get("cache_size").asLong());
    assertEquals(61.5, m.get("uptime_seconds").asDouble(), 1e-9);
    assertEquals("disk.img", m.get("streams").get(0).get("name").asText());
    assertEquals(1L << 30, m.get("streams").get(0).get("size").asLong());
    assertEquals("reads", n.fieldNames().next(), "counters first");
  }

  /** The typed counters keep the keys, order and derived values stats.json readers rely on. */
  @Test
  void countersKeepTheirKeysOrderAndDerivedValues() throws Exception {
    ReadStatsSnapshot s =
        new ReadStatsSnapshot(
            1, 2, 31_900_000, 1, 25_200_000, 3, 4, 5, 6, 2, 7_500_000, 4, 4096, 1, 9, 11, 13);
    MountInfo info = new MountInfo("/a", "id", Path.of("/b"), null, 1, 1, Instant.EPOCH);
    JsonNode n =
        new ObjectMapper()
            .readTree(
                StatsReport.render(
                    StatsReport.build(
                        s,
                        Map.of("overlay", Map.of("writes", 3)),
                        77,
                        info,
                        List.of(),
                        Instant.EPOCH)));
    List<String> keys = new ArrayList<>();
    n.fieldNames().forEachRemaining(keys::add);
    assertEquals(
        List.of(
            "reads",
            "bytes_read",
            "read_ms",
            "slow_reads",
            "slow_read_ms",
            "blocks_decompressed",
            "stored_bytes_fetched",
            "zero_blocks",
            "cache_hits",
            "cache_misses",
            "cache_hit_ratio",
            "decompress_ms",
            "prefetch_blocks",
            "prefetch_bytes",
            "prefetch_hits",
            "prefetch_unused_bytes",
            "errors",
            "refetches",
            "stored_hits",
            "overlay",
            "cache_bytes",
            "mount"),
        keys);
    assertEquals(1, n.get("reads").asLong());
    assertEquals(2, n.get("bytes_read").asLong());
    assertEquals(31, n.get("read_ms").asLong());
    assertEquals(1, n.get("slow_reads").asLong());
    assertEquals(25, n.get("slow_read_ms").asLong());
    assertEquals(3, n.get("blocks_decompressed").asLong());
    assertEquals(4, n.get("stored_bytes_fetched").asLong());
    assertEquals(5, n.get("zero_blocks").asLong());
    assertEquals(6, n.get("cache_hits").asLong());
    assertEquals(2, n.get("cache_misses").asLong());
    assertEquals(0.75, n.get("cache_hit_ratio").asDouble(), 1e-12);
    assertEquals(7, n.get("decompress_ms").asLong());
    assertEquals(4, n.get("prefetch_blocks").asLong());
    assertEquals(4096, n.get("prefetch_bytes").asLong());
    assertEquals(1, n.get("prefetch_hits").asLong());
    assertEquals(3072, n.get("prefetch_unused_bytes").asLong());
    assertEquals(9, n.get("errors").asLong());
    assertEquals(11, n.get("refetches").asLong());
    assertEquals(13, n.get("stored_hits").asLong());
    assertEquals(3, n.get("overlay").get("writes").asLong());
    assertEquals(77, n.get("cache_bytes").asLong());
    assertTrue(n.get("cache_hit_ratio").isDouble());
    assertEquals(
        0.0,
        new ObjectMapper()
            .readTree(
                StatsReport.render(
                    StatsReport.build(ReadStatsSnapshot.EMPTY, 0, info, List.of(), Instant.EPOCH)))
            .get("cache_hit_ratio")
            .asDouble());
  }

  @Test
  void foregroundMountHasNullLog() throws Exception {
    MountInfo info = new MountInfo("/a", "id", Path.of("/b"), null, 1, 1, Instant.EPOCH);
    JsonNode n =
        new ObjectMapper()
            .readTree(
                StatsReport.render(
                    StatsReport.build(ReadStatsSnapshot.EMPTY, 0, info, List.of(), Instant.EPOCH)));
    assertTrue(n.get("mount").get("log_file").isNull());
  }
}
