package dev.cairn.mount;

import dev.cairn.config.Tuning;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;

/**
 * Where a serving process for many mounts ({@link MountDaemon}) listens, in the user's private
 * {@link RuntimeDir}: {@code server-KEY.sock} (the control socket), {@code server-KEY.lock} (held
 * while one {@code cairn mount} starts it, so two never start two), {@code server-KEY.log} (its own
 * output; each mount still logs to its own file).
 *
 * <p>KEY hashes everything the serving process takes from whoever started it and cannot change
 * afterwards: the JVM, the jar (path, size, time), the {@code -Dcairn.…} tuning properties and the
 * environment that configures it (the {@code CAIRN_…} variables it reads — the runtime directory
 * already separates servers, and those only the command line reads do not count —, {@code AWS_…}
 * credentials, proxies, {@code HOME}, {@code XDG_CACHE_HOME}). A {@code cairn mount} started with
 * other settings, or from a rebuilt jar, so gets a server of its own instead of one that would
 * silently ignore them; the old server keeps its mounts and leaves once they are gone. Immutable.
 */
record ServerAddress(Path socket, Path lock, Path log) {
  /** The variables of Cairn's own that the serving process reads (see {@code Tuning}). */
  private static final java.util.Set<String> SERVER_SETTINGS =
      java.util.Set.of(
          "CAIRN_CACHE_DIR",
          "CAIRN_CACHE_LIMIT",
          "CAIRN_CDS",
          "CAIRN_SERVER_CACHE",
          "CAIRN_SERVER_IDLE",
          "CAIRN_SERVER_JAVA_OPTS");

  /** The server's files for {@code key} under {@code dir}. */
  static ServerAddress of(Path dir, String key) {
    String stem = "server-" + key;
    return new ServerAddress(
        dir.resolve(stem + ".sock"), dir.resolve(stem + ".lock"), dir.resolve(stem + ".log"));
  }

  /** The key for this process's JVM, class path, properties and environment. */
  static String key(String java, String classPath) {
    return key(java, classPath, System.getProperties(), System.getenv());
  }

  static String key(String java, String classPath, Properties props, Map<String, String> env) {
    StringBuilder b = new StringBuilder();
    b.append(java).append('\n');
    for (String e : classPath.split(File.pathSeparator)) {
      b.append(e);
      Path p = Path.of(e);
      try {
        b.append('|').append(Files.size(p)).append('|');
        b.append(Files.getLastModifiedTime(p).toMillis());
      } catch (IOException | RuntimeException x) {
        b.append("|?");
      }
      b.append('\n');
    }
    Map<String, String> sorted = new TreeMap<>();
    for (String k : props.stringPropertyNames()) {
      if (k.startsWith(Tuning.PROPERTY_PREFIX)) {
        sorted.put("-D" + k, props.getProperty(k));
      }
    }
    for (Map.Entry<String, String> e : env.entrySet()) {
      String k = e.getKey();
      boolean counts =
          SERVER_SETTINGS.contains(k)
              || k.startsWith("AWS_")
              || k.toLowerCase(Locale.ROOT).endsWith("_proxy")
              || k.equals("HOME")
              || k.equals("XDG_CACHE_HOME");
      if (counts) {
        sorted.put(k, e.getValue());
      }
    }
    sorted.forEach((k, v) -> b.append(k).append('=').append(v).append('\n'));
    return RuntimeDir.hash(b.toString());
  }
}
