package dev.cairn.mount;

import dev.cairn.io.Sizes;
import java.time.Duration;
import java.util.Map;

/**
 * How {@code cairn mount} uses the per-user serving process ({@link MountDaemon}), from the
 * environment. Immutable.
 *
 * @param enabled {@code CAIRN_SERVER}, default on ({@code 0}: every mount gets a process of its
 *     own, as {@code --foreground} does, but detached)
 * @param idle {@code CAIRN_SERVER_IDLE} in seconds, default 60: how long the serving process stays
 *     after its last mount is gone (a new mount soon after then finds it warm)
 * @param cacheBudget {@code CAIRN_SERVER_CACHE} (at most half of physical memory), or 0 when unset:
 *     the byte budget all its mounts' block caches share ({@link CacheBudget}). The heap is sized
 *     for it when the process starts, so unset it is the first mount's {@code --cache-size}: a
 *     server with one mount is then exactly as large as that mount's own process would have been
 */
record ServerSettings(boolean enabled, Duration idle, long cacheBudget) {

  /** The budget of a server whose first mount asks for {@code cacheSize}. */
  long budgetFor(long cacheSize) {
    return cacheBudget > 0 ? cacheBudget : cacheSize;
  }

  /** The settings of this process's environment. */
  static ServerSettings current() {
    return from(System.getenv(), PhysicalMemory.total());
  }

  /** The settings {@code env} gives on a machine with {@code memory} bytes (0 if unknown). */
  static ServerSettings from(Map<String, String> env, long memory) {
    boolean enabled = !"0".equals(env.get("CAIRN_SERVER"));
    long idle = 60;
    String i = env.get("CAIRN_SERVER_IDLE");
    if (i != null) {
      try {
        idle = Math.max(0, Long.parseLong(i.strip()));
      } catch (NumberFormatException e) {
        // keep the default: a typo must not stop a mount
      }
    }
    long budget = 0;
    String c = env.get("CAIRN_SERVER_CACHE");
    if (c != null) {
      try {
        budget = Math.max(1 << 20, Sizes.parse(c.strip()));
      } catch (IllegalArgumentException e) {
        // keep the default
      }
    }
    if (memory > 0 && budget > 0) {
      budget = Math.min(budget, memory / 2);
    }
    return new ServerSettings(enabled, Duration.ofSeconds(idle), budget);
  }
}
