package dev.cairn.mount;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The client half of a mount for the command line's class-data-sharing training run ({@code
 * dev.cairn.cli.CliTraining}): everything {@code cairn mount} does around the server's answer — the
 * server's address, a request written and an answer read, a call to a socket nobody listens on, the
 * list printed — without starting a server or mounting anything. Stateless.
 */
public final class ClientTraining {
  private ClientTraining() {}

  /** Exercises the client's classes, using {@code dir} (an empty scratch directory). */
  public static void run(Path dir) {
    String key = ServerAddress.key(System.getProperty("java.home"), dir.toString());
    ServerAddress a = ServerAddress.of(dir, key);
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("op", "mount");
    m.put("args", List.of("--snapshot=/x", "--mount-point=/y"));
    try {
      JsonLine.read(JsonLine.write(m));
      ServerClient.call(a.socket(), m);
    } catch (IOException e) {
      // no server there, as intended
    }
    Map<String, Object> e = new LinkedHashMap<>();
    e.put("mount_point", "/y");
    e.put("snapshot", "/x");
    e.put("pid", 1L);
    e.put("overlay", null);
    e.put("since", "now");
    e.put("cache_size", 1L << 20);
    e.put("cache_used", 0L);
    e.put("shared", true);
    MountList.table(List.of(e));
    MountList.json(List.of(e));
    ServerSettings.current();
    MountState.running(ProcessHandle.current().pid());
  }
}
