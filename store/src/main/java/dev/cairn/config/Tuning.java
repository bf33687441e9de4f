package dev.cairn.config;

import dev.cairn.io.Sizes;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.UnaryOperator;

/**
 * Every tuning switch Cairn reads, parsed once into typed values. Experiments and benchmarks set
 * them; none is needed in normal use. A value that does not parse keeps the default, as each switch
 * always has: a typo in an experiment must not stop a mount. The CLI hands every {@code -Dcairn.…}
 * property on to the serving process ({@link #PROPERTY_PREFIX}), and the environment is inherited,
 * so both processes see the same record.
 *
 * <p>Read it where a long-lived object is built (a mount, a source, a pack), never per request.
 * Immutable and thread-safe.
 *
 * @param fuseThreads {@code cairn.fuse.threads}, default 2: Java threads serving FUSE requests
 * @param fuseMaxPages {@code cairn.fuse.maxPages}, default 256: 4 KiB pages per FUSE request
 *     (32–256, so up to 1 MiB)
 * @param fuseReadAheadKib {@code cairn.fuse.readAheadKib}, default 4096: the kernel's read-ahead
 *     window on the mount, in KiB
 * @param logRepeat {@code cairn.log.repeatSeconds}, default 10: how long a repeated read failure is
 *     summarised instead of logged again
 * @param logLinesPerSecond {@code cairn.log.linesPerSecond}, default 10: failure lines logged per
 *     second at most
 * @param packBuffered {@code cairn.pack.buffered}, default false: pack reads its input through the
 *     page cache instead of with {@code O_DIRECT}
 * @param splitSpans {@code cairn.splitSpans}, default true ({@code false} turns it off): large
 *     reads are split across threads
 * @param prefetch {@code cairn.prefetch}, default false ({@code true} turns it on): sequential
 *     read-ahead into the block cache
 * @param mmap {@code cairn.mmap}, default true ({@code false} turns it off): local snapshots are
 *     memory-mapped rather than read with {@code pread}
 * @param remoteReadAhead {@code cairn.remote.readAhead}, default 4: chunks fetched ahead of a
 *     sequential remote reader (0 off)
 * @param remoteTimeout {@code cairn.remote.timeout}, default 10 s (at least 1): connect and read
 *     timeout of one remote request
 * @param cacheDir {@code cairn.cacheDir} or {@code CAIRN_CACHE_DIR}, default {@code
 *     $XDG_CACHE_HOME/cairn/remote} or {@code ~/.cache/cairn/remote}: the disk cache of remote
 *     chunks; empty when set to {@code none} or {@code off}
 * @param cacheLimit {@code cairn.cacheLimit} or {@code CAIRN_CACHE_LIMIT}, default 8G: the most the
 *     disk chunk cache holds
 * @param runtimeDir {@code CAIRN_RUNTIME_DIR}, default empty (a per-user folder): where mounts keep
 *     their state, ready and log files
 * @param cds {@code CAIRN_CDS}, default true ({@code 0} turns it off): the serving process uses a
 *     class-data-sharing archive
 * @param serverJavaOpts {@code CAIRN_SERVER_JAVA_OPTS}, default none: extra JVM flags for the
 *     serving process, after Cairn's own
 * @param jdkCrypto {@code cairn.crypto=jdk}, default false: AES-GCM and SHA-256 through the JDK's
 *     providers even where libcrypto is available (for comparison; the JDK's need C2 to be fast)
 * @param remoteMaxConnections {@code cairn.remote.maxConnections} (mount option {@code
 *     --max-connections}), default 8 (1–64): remote requests in flight at once per process, which
 *     is also the number of connections it keeps open to a server
 * @param remoteMaxBandwidth {@code cairn.remote.maxBandwidth} (mount option {@code
 *     --max-bandwidth}), a size per second such as {@code 50M}, default 0 (no cap): what remote
 *     requests of the process may bring in
 * @param remoteMaxInFlight {@code cairn.remote.maxInFlight}, a size, default 32M (at least 1M): the
 *     most read-ahead bytes a process has requested and not yet received
 * @param remoteReadAheadMax {@code cairn.remote.readAheadMax}, default 24 (at least {@code
 *     remoteReadAhead}): the most chunks a sequential remote reader's read-ahead window grows to
 * @param remoteSequentialBytes {@code cairn.remote.sequentialBytes}, default 512K: how many stored
 *     bytes a remote reader reads contiguously before it is served whole chunks (with read-ahead);
 *     until then a read of bytes not cached fetches those bytes only. 0: always whole chunks
 */
public record Tuning(
    int fuseThreads,
    int fuseMaxPages,
    int fuseReadAheadKib,
    Duration logRepeat,
    int logLinesPerSecond,
    boolean packBuffered,
    boolean splitSpans,
    boolean prefetch,
    boolean mmap,
    int remoteReadAhead,
    Duration remoteTimeout,
    Optional<Path> cacheDir,
    long cacheLimit,
    Optional<Path> runtimeDir,
    boolean cds,
    List<String> serverJavaOpts,
    boolean jdkCrypto,
    int remoteMaxConnections,
    long remoteMaxBandwidth,
    long remoteMaxInFlight,
    int remoteReadAheadMax,
    long remoteSequentialBytes) {

  /** System properties starting with this are Cairn's, and reach the serving process too. */
  public static final String PROPERTY_PREFIX = "cairn.";

  private static final long DEFAULT_CACHE_LIMIT = 8L << 30;

  public Tuning {
    serverJavaOpts = List.copyOf(serverJavaOpts);
  }

  /** The switches as this process's system properties and environment set them now. */
  public static Tuning current() {
    return from(System::getProperty, System::getenv);
  }

  /**
   * The switches as {@code property} (system property name to value) and {@code env} (environment
   * variable to value) give them; either returns null for an unset name.
   */
  public static Tuning from(UnaryOperator<String> property, UnaryOperator<String> env) {
    return new Tuning(
        integer(property, "cairn.fuse.threads", 2),
        integer(property, "cairn.fuse.maxPages", 256),
        integer(property, "cairn.fuse.readAheadKib", 4096),
        Duration.ofSeconds(longValue(property, "cairn.log.repeatSeconds", 10)),
        integer(property, "cairn.log.linesPerSecond", 10),
        "true".equalsIgnoreCase(property.apply("cairn.pack.buffered")),
        !"false".equals(property.apply("cairn.splitSpans")),
        "true".equals(property.apply("cairn.prefetch")),
        !"false".equals(property.apply("cairn.mmap")),
        Math.max(0, integer(property, "cairn.remote.readAhead", 4)),
        remoteTimeout(property),
        cacheDir(property, env),
        cacheLimit(setting(property, env, "cairn.cacheLimit", "CAIRN_CACHE_LIMIT")),
        runtimeDir(env.apply("CAIRN_RUNTIME_DIR")),
        !"0".equals(env.apply("CAIRN_CDS")),
        words(env.apply("CAIRN_SERVER_JAVA_OPTS")),
        "jdk".equals(property.apply("cairn.crypto")),
        Math.min(64, Math.max(1, integer(property, "cairn.remote.maxConnections", 8))),
        size(property.apply("cairn.remote.maxBandwidth"), "-Dcairn.remote.maxBandwidth", 0, "0"),
        Math.max(
            1L << 20,
            size(
                property.apply("cairn.remote.maxInFlight"),
                "-Dcairn.remote.maxInFlight",
                32L << 20,
                "32M")),
        Math.max(1, integer(property, "cairn.remote.readAheadMax", 24)),
        size(
            property.apply("cairn.remote.sequentialBytes"),
            "-Dcairn.remote.sequentialBytes",
            512L << 10,
            "512K"));
  }

  /** A size such as {@code 50M}, or {@code dflt} (said once) if it does not parse. */
  private static long size(String value, String what, long dflt, String dfltText) {
    if (value == null || value.isBlank()) {
      return dflt;
    }
    try {
      return Sizes.parse(value.trim());
    } catch (IllegalArgumentException e) {
      ignored(what, value, dfltText);
      return dflt;
    }
  }

  /**
   * Only {@code cairn.remote.timeout}, as this process sets it now: remote sources bound every
   * request by it and read it per request (tests shorten it at run time), so it does not rebuild
   * the whole record each time.
   */
  public static Duration currentRemoteTimeout() {
    return remoteTimeout(System::getProperty);
  }

  private static Duration remoteTimeout(UnaryOperator<String> property) {
    return Duration.ofSeconds(Math.max(1, integer(property, "cairn.remote.timeout", 10)));
  }

  /** As {@link Integer#getInteger(String, int)}: decimal, hex or octal; else the default. */
  private static int integer(UnaryOperator<String> property, String name, int dflt) {
    long v = longValue(property, name, dflt);
    return v == (int) v ? (int) v : dflt;
  }

  private static long longValue(UnaryOperator<String> property, String name, long dflt) {
    String v = property.apply(name);
    try {
      return v == null ? dflt : Long.decode(v);
    } catch (NumberFormatException e) {
      ignored("-D" + name, v, Long.toString(dflt));
      return dflt;
    }
  }

  /** Settings already reported as ignored: each is said once per process, not on every read. */
  private static final Set<String> REPORTED = ConcurrentHashMap.newKeySet();

  /**
   * Says in one line on stderr (a serving process's log) that a switch's value does not parse and
   * the default applies: a typo should not silently change nothing.
   */
  private static void ignored(String what, String value, String dflt) {
    if (REPORTED.add(what + "=" + value)) {
      System.err.println(
          "cairn: warning: " + what + "='" + value + "' is not a valid value; using " + dflt);
    }
  }

  /** The system property if set and not blank, else the environment variable; trimmed, or null. */
  private static String setting(
      UnaryOperator<String> property, UnaryOperator<String> env, String name, String envName) {
    String v = property.apply(name);
    if (v == null || v.isBlank()) {
      v = env.apply(envName);
    }
    return v == null || v.isBlank() ? null : v.trim();
  }

  private static Optional<Path> cacheDir(
      UnaryOperator<String> property, UnaryOperator<String> env) {
    String dir = setting(property, env, "cairn.cacheDir", "CAIRN_CACHE_DIR");
    if ("none".equals(dir) || "off".equals(dir)) {
      return Optional.empty();
    }
    if (dir != null) {
      return Optional.of(Path.of(dir));
    }
    String xdg = env.apply("XDG_CACHE_HOME");
    Path base =
        xdg != null && !xdg.isBlank()
            ? Path.of(xdg)
            : Path.of(Objects.requireNonNullElse(property.apply("user.home"), ""), ".cache");
    return Optional.of(base.resolve("cairn").resolve("remote"));
  }

  private static long cacheLimit(String value) {
    if (value == null) {
      return DEFAULT_CACHE_LIMIT;
    }
    try {
      return Sizes.parse(value);
    } catch (IllegalArgumentException e) {
      // a bad limit keeps the default rather than failing every read
      ignored("CAIRN_CACHE_LIMIT", value, "8G");
      return DEFAULT_CACHE_LIMIT;
    }
  }

  private static Optional<Path> runtimeDir(String value) {
    return value == null || value.isBlank()
        ? Optional.empty()
        : Optional.of(Path.of(value).toAbsolutePath());
  }

  private static List<String> words(String value) {
    return value == null || value.isBlank() ? List.of() : List.of(value.strip().split("\\s+"));
  }
}
