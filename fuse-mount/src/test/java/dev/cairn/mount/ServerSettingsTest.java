package dev.cairn.mount;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;

class ServerSettingsTest {
  @Test
  void defaultsAndOverrides() {
    ServerSettings d = ServerSettings.from(Map.of(), 16L << 30);
    assertTrue(d.enabled());
    assertEquals(Duration.ofSeconds(60), d.idle());
    assertEquals(0, d.cacheBudget());
    assertEquals(256L << 20, d.budgetFor(256L << 20), "unset: the first mount's --cache-size");
    ServerSettings o =
        ServerSettings.from(
            Map.of("CAIRN_SERVER", "0", "CAIRN_SERVER_IDLE", "3", "CAIRN_SERVER_CACHE", "2G"),
            16L << 30);
    assertFalse(o.enabled());
    assertEquals(Duration.ofSeconds(3), o.idle());
    assertEquals(2L << 30, o.cacheBudget());
    assertEquals(2L << 30, o.budgetFor(256L << 20), "set: it wins");
    assertEquals(
        1L << 30,
        ServerSettings.from(Map.of("CAIRN_SERVER_CACHE", "8G"), 2L << 30).cacheBudget(),
        "at most half of memory");
    ServerSettings typo =
        ServerSettings.from(Map.of("CAIRN_SERVER_IDLE", "x", "CAIRN_SERVER_CACHE", "lots"), 0);
    assertEquals(Duration.ofSeconds(60), typo.idle());
    assertEquals(0, typo.cacheBudget());
  }

  @Test
  void settingsTheServerCannotChangeLaterGetAServerOfTheirOwn() {
    Properties none = new Properties();
    Properties tuned = new Properties();
    tuned.setProperty("cairn.fuse.threads", "4");
    tuned.setProperty("java.version", "ignored");
    String base = ServerAddress.key("/usr/bin/java", "/x.jar", none, Map.of("PATH", "/bin"));
    assertEquals(
        base,
        ServerAddress.key("/usr/bin/java", "/x.jar", none, Map.of("PATH", "/usr/bin")),
        "PATH does not count");
    assertEquals(
        base,
        ServerAddress.key("/usr/bin/java", "/x.jar", none, Map.of("CAIRN_RUNTIME_DIR", "/r")),
        "the directory already separates servers");
    assertNotEquals(base, ServerAddress.key("/usr/bin/java", "/x.jar", tuned, Map.of()));
    assertEquals(
        base,
        ServerAddress.key(
            "/usr/bin/java", "/x.jar", none, Map.of("CAIRN_JAR", "/j", "CAIRN_JAVA_OPTS", "-X")),
        "only the command line reads those");
    assertNotEquals(base, ServerAddress.key("/opt/java", "/x.jar", none, Map.of()));
    assertNotEquals(base, ServerAddress.key("/usr/bin/java", "/y.jar", none, Map.of()));
    assertNotEquals(
        base, ServerAddress.key("/usr/bin/java", "/x.jar", none, Map.of("CAIRN_CACHE_DIR", "/c")));
    assertNotEquals(
        base, ServerAddress.key("/usr/bin/java", "/x.jar", none, Map.of("AWS_REGION", "x")));
    assertNotEquals(
        base, ServerAddress.key("/usr/bin/java", "/x.jar", none, Map.of("https_proxy", "x")));
    ServerAddress a = ServerAddress.of(Path.of("/run/c"), base);
    assertEquals(Path.of("/run/c/server-" + base + ".sock"), a.socket());
    assertEquals(Path.of("/run/c/server-" + base + ".lock"), a.lock());
    assertEquals(Path.of("/run/c/server-" + base + ".log"), a.log());
  }
}
