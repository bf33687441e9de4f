package dev.cairn.fuse;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.cairn.read.ReadStatsSnapshot;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Renders {@code .cairn/stats.json}: the reader's live counters (typed, from a {@link
 * ReadStatsSnapshot}), other layers' counters, then what the mount is. Pretty-printed, one trailing
 * newline, stable key order. Stateless and thread-safe.
 */
public final class StatsReport {
  private static final ObjectMapper MAPPER =
      new ObjectMapper()
          .enable(SerializationFeature.INDENT_OUTPUT)
          .disable(SerializationFeature.FAIL_ON_EMPTY_BEANS);

  private StatsReport() {}

  /** One stream as listed in the report. */
  public record StreamEntry(String name, long size) {}

  /**
   * The report's content, without other layers' counters.
   *
   * @see #build(ReadStatsSnapshot, Map, long, MountInfo, List, Instant)
   */
  public static Map<String, Object> build(
      ReadStatsSnapshot counters,
      long cacheBytes,
      MountInfo info,
      List<StreamEntry> streams,
      Instant now) {
    return build(counters, Map.of(), cacheBytes, info, streams, now);
  }

  /**
   * The report's content.
   *
   * @param counters the read path's counters
   * @param sections other layers' counters (e.g. {@code overlay}, {@code remote}), in order, after
   *     the read counters
   * @param cacheBytes bytes currently held by the block cache
   * @param info the mount
   * @param streams the files the mount shows
   * @param now the current instant (for uptime)
   */
  public static Map<String, Object> build(
      ReadStatsSnapshot counters,
      Map<String, ?> sections,
      long cacheBytes,
      MountInfo info,
      List<StreamEntry> streams,
      Instant now) {
    Map<String, Object> m = counters(counters);
    m.putAll(sections);
    m.put("cache_bytes", cacheBytes);
    Map<String, Object> mount = new LinkedHashMap<>();
    mount.put("snapshot", info.snapshot());
    mount.put("snapshot_id", info.snapshotId());
    mount.put("mount_point", String.valueOf(info.mountPoint()));
    mount.put("log_file", info.logFile() == null ? null : info.logFile().toString());
    mount.put("pid", info.pid());
    mount.put("cache_size", info.cacheSize());
    mount.put("started", info.started().toString());
    long millis = Math.max(0, Duration.between(info.started(), now).toMillis());
    mount.put("uptime_seconds", millis / 1000.0);
    List<Map<String, Object>> files =
        streams.stream()
            .map(
                s -> {
                  Map<String, Object> f = new LinkedHashMap<>();
                  f.put("name", s.name());
                  f.put("size", s.size());
                  return f;
                })
            .toList();
    mount.put("streams", files);
    m.put("mount", mount);
    return m;
  }

  /** The read counters under their stats.json keys, in their stable order. */
  private static Map<String, Object> counters(ReadStatsSnapshot s) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("reads", s.reads());
    m.put("bytes_read", s.bytesRead());
    m.put("read_ms", s.readMillis());
    m.put("slow_reads", s.slowReads());
    m.put("slow_read_ms", s.slowReadMillis());
    m.put("blocks_decompressed", s.blocksDecompressed());
    m.put("stored_bytes_fetched", s.storedBytesFetched());
    m.put("zero_blocks", s.zeroBlocks());
    m.put("cache_hits", s.cacheHits());
    m.put("cache_misses", s.cacheMisses());
    m.put("cache_hit_ratio", s.cacheHitRatio());
    m.put("decompress_ms", s.decompressMillis());
    m.put("prefetch_blocks", s.prefetchBlocks());
    m.put("prefetch_bytes", s.prefetchBytes());
    m.put("prefetch_hits", s.prefetchHits());
    m.put("prefetch_unused_bytes", s.prefetchUnusedBytes());
    m.put("errors", s.errors());
    m.put("refetches", s.refetches());
    m.put("stored_hits", s.storedHits());
    return m;
  }

  /** Renders {@code report} as UTF-8 JSON with a trailing newline. */
  public static byte[] render(Map<String, Object> report) {
    try {
      return (MAPPER.writeValueAsString(report) + "\n").getBytes(StandardCharsets.UTF_8);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }
}
