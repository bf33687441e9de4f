package dev.cairn.mount;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code cairn mounts}: the current user's mounts, as their serving processes report them — each
 * {@link MountDaemon} in the runtime directory answers for its own, and a mount in a process of its
 * own ({@code --foreground}, {@code CAIRN_SERVER=0}, {@code --debug}) is read from its state file.
 * Stateless.
 */
public final class MountList {
  private MountList() {}

  /**
   * One object per mount: {@code mount_point}, {@code snapshot}, {@code pid} (of its serving
   * process), {@code shared} (whether that process serves other mounts too), {@code overlay} (null
   * if read-only or unknown), {@code since}, {@code cache_size} (its cap now), {@code cache_used}
   * (null if unknown), {@code log}; sorted by mount point.
   */
  public static List<Map<String, Object>> current() {
    RuntimeDir dirs = RuntimeDir.forCurrentUser();
    List<Map<String, Object>> out = new ArrayList<>();
    Set<String> seen = new HashSet<>();
    for (Path socket : ServerClient.sockets(dirs.dir())) {
      Map<String, Object> req = new LinkedHashMap<>();
      req.put("op", "list");
      try {
        Map<String, Object> resp = ServerClient.call(socket, req);
        if (ServerClient.code(resp) != 0) {
          System.err.println(
              "cairn: " + socket + ": " + ServerClient.message(resp).orElse("refused"));
          continue;
        }
        if (resp.get("mounts") instanceof List<?> l) {
          for (Object o : l) {
            if (o instanceof Map<?, ?> m) {
              @SuppressWarnings("unchecked")
              Map<String, Object> e = new LinkedHashMap<>((Map<String, Object>) m);
              e.put("shared", true);
              out.add(e);
              seen.add(String.valueOf(e.get("mount_point")));
            }
          }
        }
      } catch (IOException e) {
        // a dead server's socket: its mounts went with it
      }
    }
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(dirs.dir(), "mount-*.state")) {
      for (Path f : ds) {
        MountState st = MountState.read(f).orElse(null);
        if (st == null
            || st.server() != null
            || seen.contains(st.mountPoint().toString())
            || st.liveProcess().isEmpty()) {
          continue;
        }
        Map<String, Object> e = new LinkedHashMap<>();
        e.put("mount_point", st.mountPoint().toString());
        e.put("snapshot", st.snapshot());
        e.put("pid", st.pid());
        e.put("overlay", null);
        e.put(
            "since",
            st.startMillis() == 0 ? null : Instant.ofEpochMilli(st.startMillis()).toString());
        e.put("cache_size", st.cacheSize());
        e.put("cache_used", null);
        e.put("log", st.logFile() == null ? null : st.logFile().toString());
        e.put("shared", false);
        out.add(e);
      }
    } catch (IOException e) {
      // no runtime directory: nothing mounted
    }
    out.sort(Comparator.comparing(m -> String.valueOf(m.get("mount_point"))));
    return out;
  }

  /** {@code {"mounts":[...]}} on one line. */
  public static String json(List<Map<String, Object>> mounts) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("mounts", mounts);
    return JsonLine.write(m);
  }

  /** A table for people: one line per mount, columns aligned. */
  public static String table(List<Map<String, Object>> mounts) {
    List<String[]> rows = new ArrayList<>();
    rows.add(new String[] {"MOUNTPOINT", "SNAPSHOT", "PID", "OVERLAY", "SINCE", "CACHE"});
    for (Map<String, Object> m : mounts) {
      Object used = m.get("cache_used");
      Object size = m.get("cache_size");
      String cache =
          (used instanceof Long u ? dev.cairn.args.Human.bytes(u) : "?")
              + " / "
              + (size instanceof Long s ? dev.cairn.args.Human.bytes(s) : "?");
      rows.add(
          new String[] {
            String.valueOf(m.get("mount_point")),
            String.valueOf(m.get("snapshot")),
            String.valueOf(m.get("pid")) + (Boolean.TRUE.equals(m.get("shared")) ? "" : "*"),
            m.get("overlay") == null ? "-" : String.valueOf(m.get("overlay")),
            m.get("since") == null ? "-" : String.valueOf(m.get("since")),
            cache
          });
    }
    int[] w = new int[6];
    for (String[] r : rows) {
      for (int i = 0; i < 6; i++) {
        w[i] = Math.max(w[i], r[i].length());
      }
    }
    StringBuilder b = new StringBuilder();
    for (String[] r : rows) {
      for (int i = 0; i < 6; i++) {
        b.append(r[i]);
        if (i < 5) {
          b.append(" ".repeat(w[i] - r[i].length() + 2));
        }
      }
      b.append('\n');
    }
    if (mounts.stream().anyMatch(m -> !Boolean.TRUE.equals(m.get("shared")))) {
      b.append("* a process of its own (--foreground, --debug or CAIRN_SERVER=0)\n");
    }
    return b.toString();
  }
}
