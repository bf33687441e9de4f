package dev.cairn.config;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Every switch's default, its parsing, and what a value that does not parse falls back to. */
class TuningTest {

  private static Tuning of(Map<String, String> properties, Map<String, String> env) {
    return Tuning.from(properties::get, env::get);
  }

  @Test
  void nothingSetGivesTheDocumentedDefaults() {
    Tuning t = of(Map.of("user.home", "/home/u"), Map.of());
    assertEquals(
        new Tuning(
            2,
            256,
            4096,
            Duration.ofSeconds(10),
            10,
            false,
            true,
            false,
            true,
            4,
            Duration.ofSeconds(10),
            Optional.of(Path.of("/home/u/.cache/cairn/remote")),
            8L << 30,
            Optional.empty(),
            true,
            List.of(),
            false,
            8,
            0,
            32L << 20,
            24,
            512L << 10),
        t);
  }

  @Test
  void everySwitchIsRead() {
    Tuning t =
        of(
            Map.ofEntries(
                Map.entry("cairn.fuse.threads", "4"),
                Map.entry("cairn.fuse.maxPages", "32"),
                Map.entry("cairn.fuse.readAheadKib", "0x400"),
                Map.entry("cairn.log.repeatSeconds", "2"),
                Map.entry("cairn.log.linesPerSecond", "3"),
                Map.entry("cairn.pack.buffered", "TRUE"),
                Map.entry("cairn.splitSpans", "false"),
                Map.entry("cairn.prefetch", "true"),
                Map.entry("cairn.mmap", "false"),
                Map.entry("cairn.remote.readAhead", "0"),
                Map.entry("cairn.remote.timeout", "1"),
                Map.entry("cairn.cacheDir", " /c "),
                Map.entry("cairn.cacheLimit", "100K"),
                Map.entry("cairn.crypto", "jdk"),
                Map.entry("cairn.remote.maxConnections", "3"),
                Map.entry("cairn.remote.maxBandwidth", "50M"),
                Map.entry("cairn.remote.maxInFlight", "8M"),
                Map.entry("cairn.remote.readAheadMax", "12"),
                Map.entry("cairn.remote.sequentialBytes", "0")),
            Map.of(
                "CAIRN_RUNTIME_DIR", "/run/x",
                "CAIRN_CDS", "0",
                "CAIRN_SERVER_JAVA_OPTS", "  -Xint   -Dcairn.log.repeatSeconds=2 "));
    assertEquals(
        new Tuning(
            4,
            32,
            1024,
            Duration.ofSeconds(2),
            3,
            true,
            false,
            true,
            false,
            0,
            Duration.ofSeconds(1),
            Optional.of(Path.of("/c")),
            100 << 10,
            Optional.of(Path.of("/run/x")),
            false,
            List.of("-Xint", "-Dcairn.log.repeatSeconds=2"),
            true,
            3,
            50L << 20,
            8L << 20,
            12,
            0),
        t);
  }

  @Test
  void valuesThatDoNotParseKeepTheDefaultAndBoundsHold() {
    Tuning t =
        of(
            Map.of(
                "cairn.fuse.threads", "two",
                "cairn.fuse.maxPages", "4294967296",
                "cairn.log.repeatSeconds", "",
                "cairn.splitSpans", "FALSE",
                "cairn.prefetch", "yes",
                "cairn.remote.readAhead", "-3",
                "cairn.remote.timeout", "0",
                "cairn.cacheLimit", "lots",
                "user.home", "/h"),
            Map.of());
    assertEquals(2, t.fuseThreads());
    assertEquals(256, t.fuseMaxPages(), "a value beyond an int keeps the default");
    assertEquals(Duration.ofSeconds(10), t.logRepeat());
    assertEquals(true, t.splitSpans(), "only the exact word false turns span splitting off");
    assertEquals(false, t.prefetch(), "only the exact word true turns prefetch on");
    assertEquals(0, t.remoteReadAhead());
    assertEquals(Duration.ofSeconds(1), t.remoteTimeout());
    assertEquals(8L << 30, t.cacheLimit());
  }

  @Test
  void aValueThatDoesNotParseIsReportedOnceInOneLine() {
    java.io.PrintStream old = System.err;
    java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
    System.setErr(new java.io.PrintStream(err, true, java.nio.charset.StandardCharsets.UTF_8));
    try {
      of(Map.of("cairn.remote.timeout", "ten", "user.home", "/h"), Map.of());
      of(Map.of("cairn.remote.timeout", "ten", "user.home", "/h"), Map.of());
      of(Map.of("user.home", "/h"), Map.of("CAIRN_CACHE_LIMIT", "huge"));
    } finally {
      System.setErr(old);
    }
    assertEquals(
        "cairn: warning: -Dcairn.remote.timeout='ten' is not a valid value; using 10\n"
            + "cairn: warning: CAIRN_CACHE_LIMIT='huge' is not a valid value; using 8G\n",
        err.toString(java.nio.charset.StandardCharsets.UTF_8));
  }

  @Test
  void theCacheFolderComesFromThePropertyThenTheEnvironmentThenXdg() {
    assertEquals(
        Optional.of(Path.of("/p")),
        of(Map.of("cairn.cacheDir", "/p"), Map.of("CAIRN_CACHE_DIR", "/e")).cacheDir());
    assertEquals(
        Optional.of(Path.of("/e")),
        of(Map.of("cairn.cacheDir", " "), Map.of("CAIRN_CACHE_DIR", "/e")).cacheDir());
    assertEquals(
        Optional.of(Path.of("/x/cairn/remote")),
        of(Map.of("user.home", "/h"), Map.of("XDG_CACHE_HOME", "/x")).cacheDir());
    assertEquals(Optional.empty(), of(Map.of(), Map.of("CAIRN_CACHE_DIR", "none")).cacheDir());
    assertEquals(Optional.empty(), of(Map.of("cairn.cacheDir", "off"), Map.of()).cacheDir());
    assertEquals(
        64L << 20, of(Map.of("user.home", "/h"), Map.of("CAIRN_CACHE_LIMIT", "64M")).cacheLimit());
  }

  @Test
  void aRelativeRuntimeDirIsMadeAbsoluteAndABlankOneIsUnset() {
    assertEquals(
        Optional.of(Path.of("rt").toAbsolutePath()),
        of(Map.of("user.home", "/h"), Map.of("CAIRN_RUNTIME_DIR", "rt")).runtimeDir());
    assertEquals(
        Optional.empty(),
        of(Map.of("user.home", "/h"), Map.of("CAIRN_RUNTIME_DIR", "  ")).runtimeDir());
  }
}
