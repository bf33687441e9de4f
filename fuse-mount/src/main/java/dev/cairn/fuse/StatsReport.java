package dev.cairn.fuse;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.cairn.read.ReadStats;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Renders {@code .cairn/stats.json}: the reader's live counters followed by what the mount is.
 * Pretty-printed, one trailing newline, stable key order. Stateless and thread-safe.
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
   * The report's content.
   *
   * @param counters {@link ReadStats#snapshot()}
   * @param cacheBytes bytes currently held by the block cache
   * @param info the mount
   * @param streams the files the mount shows
   * @param now the current instant (for uptime)
   */
  public static Map<String, Object> build(
      Map<String, Object> counters,
      long cacheBytes,
      MountInfo info,
      List<StreamEntry> streams,
      Instant now) {
    Map<String, Object> m = new LinkedHashMap<>(counters);
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

  /** Renders {@code report} as UTF-8 JSON with a trailing newline. */
  public static byte[] render(Map<String, Object> report) {
    try {
      return (MAPPER.writeValueAsString(report) + "\n").getBytes(StandardCharsets.UTF_8);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }
}
