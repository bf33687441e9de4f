package dev.cairn.cli;

import dev.cairn.args.Human;
import dev.cairn.error.UsageException;
import dev.cairn.source.CacheFolder;
import java.time.Duration;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.TypeConversionException;

/**
 * {@code cairn cache ls|du|prune}: the disk cache of remote chunks ({@link CacheFolder}) seen and
 * trimmed by hand. Only what the cache itself created is ever listed or deleted.
 */
@Command(
    name = "cache",
    mixinStandardHelpOptions = true,
    description =
        "The disk cache of remote snapshots' chunks (CAIRN_CACHE_DIR, default"
            + " ~/.cache/cairn/remote): list, size, prune.",
    subcommands = {CacheCommand.Ls.class, CacheCommand.Du.class, CacheCommand.Prune.class})
final class CacheCommand implements Callable<Integer> {
  @Override
  public Integer call() throws UsageException {
    throw new UsageException("cairn cache needs a subcommand: ls, du or prune");
  }

  private static final DateTimeFormatter WHEN =
      DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm", Locale.ROOT).withZone(ZoneId.systemDefault());

  /** One object version as {@code --json} lists it. */
  private static Map<String, Object> json(CacheFolder.Entry e) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("url", e.url());
    m.put("key", e.key());
    m.put("size", e.size() < 0 ? null : e.size());
    m.put("validator", e.validator());
    m.put("chunks", e.chunks());
    m.put("pieces", e.pieces());
    m.put("bytes", e.bytes());
    m.put("cached_percent", e.size() < 0 ? null : e.percent());
    m.put("last_used", e.lastUsed().toString());
    return m;
  }

  /**
   * What the three subcommands share: the global options, {@code --json}, the cache folder as
   * configured, and one report printed as a JSON object that starts with the folder or as text.
   */
  abstract static class Report implements Callable<Integer> {
    @Mixin GlobalOptions global;

    @Option(names = "--json", description = "Print one JSON object.")
    boolean json;

    /** Refuses options that do not go together, before the cache is looked at. */
    void check() throws UsageException {}

    /** Does the work, puts its fields into {@code fields}, and returns the text for a terminal. */
    abstract String report(CacheFolder c, Map<String, Object> fields);

    @Override
    public Integer call() throws UsageException {
      check();
      CacheFolder c = CacheFolder.configured();
      Map<String, Object> fields = new LinkedHashMap<>();
      fields.put("folder", c.folder().toString());
      String text = report(c, fields);
      System.out.print(json ? Json.of(fields) + "\n" : text);
      return 0;
    }
  }

  @Command(
      name = "ls",
      mixinStandardHelpOptions = true,
      description = "List what the cache holds per snapshot, most recently used first.")
  static final class Ls extends Report {
    @Override
    String report(CacheFolder c, Map<String, Object> fields) {
      List<CacheFolder.Entry> all = c.list();
      List<Map<String, Object>> rows = new ArrayList<>();
      all.forEach(e -> rows.add(json(e)));
      fields.put("objects", rows);
      StringBuilder text = new StringBuilder();
      text.append(String.format("%-16s  %10s  %6s  %s%n", "LAST USED", "CACHED", "%", "SNAPSHOT"));
      for (CacheFolder.Entry e : all) {
        text.append(
            String.format(
                "%-16s  %10s  %6s  %s%n",
                WHEN.format(e.lastUsed()),
                Human.bytes(e.bytes()),
                e.size() < 0 ? "-" : String.format(Locale.ROOT, "%.1f", e.percent()),
                e.url() == null ? "(an older version, " + e.key() + ")" : e.url()));
      }
      return text.toString();
    }
  }

  @Command(
      name = "du",
      mixinStandardHelpOptions = true,
      description = "Show how much the cache holds, and its limit (CAIRN_CACHE_LIMIT).")
  static final class Du extends Report {
    @Override
    String report(CacheFolder c, Map<String, Object> fields) {
      List<CacheFolder.Entry> all = c.list();
      long bytes = all.stream().mapToLong(CacheFolder.Entry::bytes).sum();
      long chunks = all.stream().mapToLong(CacheFolder.Entry::chunks).sum();
      long pieces = all.stream().mapToLong(CacheFolder.Entry::pieces).sum();
      fields.put("bytes", bytes);
      fields.put("chunks", chunks);
      fields.put("pieces", pieces);
      fields.put("objects", all.size());
      fields.put("limit", c.limit());
      return String.format(
          "%s: %s in %d chunks%s of %d snapshot%s (limit %s)%n",
          c.folder(),
          Human.bytes(bytes),
          chunks,
          pieces == 0 ? "" : " and " + pieces + " pieces",
          all.size(),
          all.size() == 1 ? "" : "s",
          Human.bytes(c.limit()));
    }
  }

  @Command(
      name = "prune",
      mixinStandardHelpOptions = true,
      description = {
        "Delete cached chunks: those unused for longer than --older-than, then the least recently"
            + " used until the cache holds at most --max-size.",
        "Deletes only what the cache created."
      })
  static final class Prune extends Report {
    @Option(
        names = "--older-than",
        paramLabel = "DURATION",
        converter = DurationConverter.class,
        description = "e.g. 30d, 12h, 45m, 90s: delete chunks not used for that long.")
    Duration olderThan;

    @Option(
        names = "--max-size",
        paramLabel = "SIZE",
        converter = SizeConverter.class,
        description = "e.g. 2G: then delete least recently used chunks down to this size.")
    Long maxSize;

    @Override
    void check() throws UsageException {
      if (olderThan == null && maxSize == null) {
        throw new UsageException(
            "cairn cache prune needs --older-than DURATION or --max-size SIZE");
      }
    }

    @Override
    String report(CacheFolder c, Map<String, Object> fields) {
      CacheFolder.Pruned p =
          c.prune(olderThan == null ? -1 : olderThan.toMillis(), maxSize == null ? -1 : maxSize);
      fields.put("deleted_chunks", p.chunks());
      fields.put("deleted_bytes", p.bytes());
      fields.put("remaining_bytes", p.remainingBytes());
      return String.format(
          "%s: deleted %d chunk%s (%s); %s left%n",
          c.folder(),
          p.chunks(),
          p.chunks() == 1 ? "" : "s",
          Human.bytes(p.bytes()),
          Human.bytes(p.remainingBytes()));
    }
  }

  /** Durations as people write them: {@code 30d}, {@code 12h}, {@code 45m}, {@code 90s}. */
  static final class DurationConverter implements ITypeConverter<Duration> {
    private static final Pattern FORM = Pattern.compile("([0-9]{1,9})([dhms])");

    @Override
    public Duration convert(String value) {
      Matcher m = FORM.matcher(value.trim());
      if (!m.matches()) {
        throw new TypeConversionException(
            "'" + value + "' is not a duration (a number and d, h, m or s, e.g. 30d)");
      }
      long n = Long.parseLong(m.group(1));
      return switch (m.group(2)) {
        case "d" -> Duration.ofDays(n);
        case "h" -> Duration.ofHours(n);
        case "m" -> Duration.ofMinutes(n);
        default -> Duration.ofSeconds(n);
      };
    }
  }
}
