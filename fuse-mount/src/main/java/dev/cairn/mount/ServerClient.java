package dev.cairn.mount;

import java.io.EOFException;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * {@code cairn}'s side of the protocol with the user's serving process ({@link MountDaemon}): sends
 * one request and reads the response, starting the server first when none answers. Stateless.
 *
 * <p>Race-free start: whoever finds no server takes the start lock ({@link ServerAddress#lock()},
 * an exclusive {@link FileLock}), asks again (another {@code cairn mount} may just have started
 * one), and only then removes a dead server's socket and starts a new one, holding the lock until
 * the new server answers. A server that is leaving (idle) closes connections it has not answered;
 * the request is then sent once more, to the server started for it.
 */
final class ServerClient {
  private ServerClient() {}

  /** Longest answer taken (a list of mounts; a few hundred bytes each). */
  private static final int MAX_ANSWER = 16 << 20;

  /** How long a freshly started server may take to listen. */
  private static final long START_TIMEOUT_MILLIS = 30_000;

  /** Starts a server process. */
  interface Starter {
    /** Checks and prepares what a start needs (outside the start lock); throws if it cannot. */
    void prepare() throws Exception;

    /** Starts the server process; returns its pid. */
    long start() throws IOException;
  }

  /** The server did not answer: none is listening on the socket. */
  static final class NotRunning extends IOException {
    private static final long serialVersionUID = 1L;

    NotRunning(String message) {
      super(message);
    }
  }

  private static final java.util.concurrent.atomic.AtomicBoolean PRELOADED =
      new java.util.concurrent.atomic.AtomicBoolean();

  /**
   * Initialises the JDK's Unix-domain socket support on a thread of its own, while the caller runs
   * its checks: its static set-up seeds a {@code SecureRandom} (for names of unbound sockets), a
   * provider lookup that took about 10 ms of a {@code cairn mount} with the server up, and 20 ms
   * with the page cache cold (it reads the security configuration and opens /dev/random), when the
   * checks took no longer and the connection waited for it. Once per process.
   */
  static void preload() {
    if (PRELOADED.getAndSet(true)) {
      return;
    }
    Thread t =
        new Thread(
            () -> {
              try {
                SocketChannel.open(StandardProtocolFamily.UNIX).close();
              } catch (IOException | UnsupportedOperationException e) {
                // call() reports it
              }
            },
            "cairn-socket-init");
    t.setDaemon(true);
    t.start();
  }

  /** Sends {@code request} to the server at {@code socket}, if one listens there. */
  static Map<String, Object> call(Path socket, Map<String, Object> request) throws IOException {
    SocketChannel ch;
    try {
      ch = SocketChannel.open(StandardProtocolFamily.UNIX);
    } catch (UnsupportedOperationException e) {
      throw new IOException("Unix domain sockets are not available here");
    }
    try (ch) {
      try {
        ch.connect(UnixDomainSocketAddress.of(socket));
      } catch (IOException e) {
        throw new NotRunning(socket + ": " + e.getMessage());
      }
      request.put("v", MountDaemon.PROTOCOL);
      JsonLine.send(ch, request);
      String line = JsonLine.readLine(ch, MAX_ANSWER);
      if (line == null) {
        throw new EOFException("the cairn server closed the connection without an answer");
      }
      return JsonLine.read(line);
    }
  }

  /** Sends {@code request}, first starting a server with {@code starter} if none answers. */
  static Map<String, Object> callStarting(
      ServerAddress address, Map<String, Object> request, Starter starter) throws Exception {
    for (int attempt = 0; ; attempt++) {
      try {
        return call(address.socket(), request);
      } catch (NotRunning e) {
        if (attempt >= 2) {
          throw e;
        }
        starter.prepare();
        ensureStarted(address, starter);
      } catch (EOFException e) {
        if (attempt >= 2) {
          throw e;
        }
        // a server leaving as we asked: the next attempt starts a new one
      }
    }
  }

  /** Starts a server unless one answers, holding the start lock meanwhile. */
  private static void ensureStarted(ServerAddress address, Starter starter) throws Exception {
    try (FileChannel lc =
            FileChannel.open(address.lock(), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        FileLock lock = lc.lock()) {
      if (answers(address.socket())) {
        return;
      }
      Files.deleteIfExists(address.socket());
      long pid = starter.start();
      long deadline = System.nanoTime() + START_TIMEOUT_MILLIS * 1_000_000L;
      while (!answers(address.socket())) {
        if (!MountState.running(pid)) {
          throw new IOException(
              ReadyHandshake.childError(address.log())
                      .orElse("the cairn server process exited without a word")
                  + " (log: "
                  + address.log()
                  + ")");
        }
        if (System.nanoTime() > deadline) {
          ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
          throw new IOException(
              "the cairn server did not start listening within "
                  + START_TIMEOUT_MILLIS / 1000
                  + " s (log: "
                  + address.log()
                  + ")");
        }
        Thread.sleep(2);
      }
    }
  }

  /** Whether a server accepts connections at {@code socket} (it takes an empty one as a probe). */
  private static boolean answers(Path socket) {
    if (!Files.exists(socket)) {
      return false;
    }
    try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
      ch.connect(UnixDomainSocketAddress.of(socket));
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  /** The servers with a socket in {@code dir} (each user's runtime directory may hold several). */
  static List<Path> sockets(Path dir) {
    try (var s = Files.newDirectoryStream(dir, "server-*.sock")) {
      List<Path> out = new java.util.ArrayList<>();
      s.forEach(out::add);
      out.sort(null);
      return out;
    } catch (IOException e) {
      return List.of();
    }
  }

  /** {@code response}'s exit code, 1 if it has none. */
  static int code(Map<String, Object> response) {
    return (int) JsonLine.number(response, "code", 1);
  }

  /** {@code response}'s message. */
  static Optional<String> message(Map<String, Object> response) {
    return Optional.ofNullable(JsonLine.text(response, "message"));
  }
}
