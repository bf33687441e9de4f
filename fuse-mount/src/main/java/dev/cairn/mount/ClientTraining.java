package dev.cairn.mount;

import dev.cairn.crypto.KeyRing;
import dev.cairn.error.ExitCode;
import dev.cairn.error.UsageException;
import dev.cairn.format.Header;
import dev.cairn.sign.Trust;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The client half of a mount for the class-data-sharing training runs of the command line ({@code
 * dev.cairn.cli.CliTraining}) and of the slim client ({@code dev.cairn.cli.ClientMain}): everything
 * {@code cairn mount} does around the server's answer — the checks, the server's address, a request
 * written and an answer read (from a stand-in server in a scratch directory, which refuses the
 * mount as a real one refuses one), a call to a socket nobody listens on, the list printed —
 * without starting a server or mounting anything. Stateless.
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
    try {
      refusedMount(Files.createDirectory(dir.resolve("refused")));
    } catch (Exception x) {
      // training only
    }
  }

  /**
   * {@link ServeLauncher#launch} of a snapshot (a header's first bytes: all the client reads) to an
   * empty directory, handed to a stand-in server listening where the user's would, which answers as
   * a server refusing the mount. Only with the shared server enabled: otherwise {@code launch}
   * would start a serving process of its own.
   */
  private static void refusedMount(Path dir) throws Exception {
    if (!ServerSettings.current().enabled()) {
      return;
    }
    ByteBuffer prefix = ByteBuffer.allocate(Header.PREFIX_LENGTH).order(ByteOrder.LITTLE_ENDIAN);
    prefix.put(new byte[] {(byte) 0x89, 'C', 'A', 'I', 'R', 'N', '\r', '\n'});
    prefix.putShort((short) Header.MAJOR_VERSION).putShort((short) Header.MINOR_VERSION);
    prefix.putInt(Header.MAX_LENGTH);
    Path snap = Files.write(dir.resolve("train.cairn"), prefix.array());
    Path mnt = Files.createDirectory(dir.resolve("mnt"));
    RuntimeDir dirs = new RuntimeDir(dir);
    ServerAddress address =
        ServeLauncher.address(ServeLauncher.java(), ClassPath.forChild(), KeyRing.NONE, dirs.dir());
    try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
      server.bind(UnixDomainSocketAddress.of(address.socket()));
      Thread t =
          new Thread(
              () -> {
                try (SocketChannel c = server.accept()) {
                  JsonLine.readLine(c, 1 << 20);
                  JsonLine.send(c, MountDaemon.error(ExitCode.USAGE, "training: refused"));
                } catch (IOException x) {
                  // training only
                }
              },
              "cairn-train-server");
      t.setDaemon(true);
      t.start();
      try {
        ServeLauncher.launch(
            MountRequest.of(
                snap.toString(),
                mnt.toString(),
                64L << 20,
                false,
                null,
                List.of(),
                null,
                null,
                null,
                KeyRing.NONE,
                Trust.NONE,
                ProfileOptions.DEFAULT),
            dirs);
      } catch (UsageException expected) {
        // refused, as asked
      }
      t.join(5000);
    }
  }
}
