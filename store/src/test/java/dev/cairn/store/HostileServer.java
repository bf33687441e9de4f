package dev.cairn.store;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A misbehaving HTTP/1.1 server on 127.0.0.1 for tests of remote sources: it serves one file's
 * bytes at every path, answering ranged {@code GET}s (and {@code HEAD}, so S3 clients with a
 * path-style endpoint can use it too) honestly or in the way its current {@link Mode} says. The
 * mode can be changed while it runs, for example to make a server stall after a mount has opened
 * the snapshot and to bring it back afterwards.
 *
 * <p>Thread-safe: one thread accepts, one thread serves each connection.
 */
public final class HostileServer implements AutoCloseable {
  /** How the server answers. */
  public enum Mode {
    /** Correct {@code 206} responses. */
    HONEST,
    /** Headers and half the body, then nothing more until the server is closed. */
    STALL,
    /** Headers and half the body, then the connection is closed. */
    TRUNCATE,
    /** A {@code Content-Range} one byte later than asked for (and those bytes). */
    WRONG_RANGE,
    /** The right range and length, every byte inverted. */
    WRONG_BYTES,
    /** {@code 200} with the whole file, as a server that ignores {@code Range}. */
    WHOLE,
    /** {@code 503 Service Unavailable}. */
    UNAVAILABLE,
    /** Not listening: connections are refused. */
    REFUSE
  }

  private static final Pattern RANGE = Pattern.compile("bytes=(\\d+)-(\\d+)");

  private final byte[] content;
  private final int port;
  private final AtomicInteger requests = new AtomicInteger();
  private final AtomicInteger honestFirst = new AtomicInteger();
  private final CountDownLatch closed = new CountDownLatch(1);
  private final java.util.Set<Socket> connections =
      java.util.concurrent.ConcurrentHashMap.newKeySet();
  private volatile Mode mode = Mode.HONEST;
  private ServerSocket listener;

  private HostileServer(byte[] content, int port) {
    this.content = content;
    this.port = port;
  }

  /** Starts serving {@code file}'s bytes, honestly until {@link #mode(Mode)} says otherwise. */
  public static HostileServer serve(Path file) throws IOException {
    int port;
    try (ServerSocket s = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort();
    }
    HostileServer server = new HostileServer(Files.readAllBytes(file), port);
    server.listen();
    return server;
  }

  /**
   * Switches how later requests are answered (and, for {@link Mode#REFUSE}, stops listening and
   * closes every open connection).
   */
  public synchronized void mode(Mode m) throws IOException {
    mode = m;
    if (m == Mode.REFUSE && listener != null) {
      listener.close();
      listener = null;
      // kept-alive connections too, or a client's pool would still be answered
      for (Socket c : connections) {
        c.close();
      }
    } else if (m != Mode.REFUSE && listener == null) {
      listen();
    }
  }

  /**
   * Like {@link #mode(Mode)}, but the next {@code honest} requests are still answered correctly
   * (for example the size probe of a client that opens the object).
   */
  public synchronized void mode(Mode m, int honest) throws IOException {
    honestFirst.set(honest);
    mode(m);
  }

  /** Requests received so far (a refused connection is none). */
  public int requests() {
    return requests.get();
  }

  /** {@code http://127.0.0.1:PORT/} + {@code path}. */
  public String url(String path) {
    return "http://127.0.0.1:" + port + "/" + path;
  }

  /** {@code http://127.0.0.1:PORT}, for S3 clients ({@code AWS_ENDPOINT_URL}). */
  public String endpoint() {
    return "http://127.0.0.1:" + port;
  }

  private synchronized void listen() throws IOException {
    ServerSocket s = new ServerSocket();
    s.setReuseAddress(true);
    s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
    listener = s;
    Thread t = new Thread(() -> accept(s), "hostile-server-" + port);
    t.setDaemon(true);
    t.start();
  }

  private void accept(ServerSocket s) {
    while (!s.isClosed()) {
      try {
        Socket c = s.accept();
        Thread t = new Thread(() -> serve(c), "hostile-connection");
        t.setDaemon(true);
        t.start();
      } catch (IOException e) {
        return; // closed
      }
    }
  }

  private void serve(Socket c) {
    connections.add(c);
    try (c) {
      InputStream in = new BufferedInputStream(c.getInputStream());
      OutputStream out = c.getOutputStream();
      while (true) {
        String head = readHead(in);
        if (head == null) {
          return;
        }
        requests.incrementAndGet();
        if (!answer(head, out)) {
          return;
        }
      }
    } catch (IOException | InterruptedException e) {
      // the client went away, or the test is over
    } finally {
      connections.remove(c);
    }
  }

  /** Answers one request; false if the connection is to be closed. */
  private boolean answer(String head, OutputStream out) throws IOException, InterruptedException {
    String[] lines = head.split("\r\n");
    boolean isHead = lines[0].startsWith("HEAD ");
    Matcher range = null;
    for (String l : lines) {
      if (l.toLowerCase(Locale.ROOT).startsWith("range:")) {
        range = RANGE.matcher(l.substring(6).strip());
      }
    }
    Mode m = honestFirst.getAndUpdate(n -> Math.max(0, n - 1)) > 0 ? Mode.HONEST : mode;
    if (isHead) {
      send(out, "200 OK", "Content-Length: " + content.length + "\r\nETag: \"hostile-1\"\r\n");
      return true;
    }
    if (m == Mode.UNAVAILABLE) {
      send(out, "503 Service Unavailable", "Content-Length: 0\r\n");
      return true;
    }
    if (range == null || !range.matches() || m == Mode.WHOLE) {
      send(out, "200 OK", "Content-Length: " + content.length + "\r\n");
      out.write(content);
      out.flush();
      return true;
    }
    int first = (int) Long.parseLong(range.group(1));
    int last = (int) Math.min(Long.parseLong(range.group(2)), content.length - 1L);
    if (m == Mode.WRONG_RANGE) {
      first++;
      last = Math.min(last + 1, content.length - 1);
    }
    int length = last - first + 1;
    byte[] body = java.util.Arrays.copyOfRange(content, first, last + 1);
    if (m == Mode.WRONG_BYTES) {
      for (int i = 0; i < body.length; i++) {
        body[i] = (byte) ~body[i];
      }
    }
    send(
        out,
        "206 Partial Content",
        "Content-Length: "
            + length
            + "\r\nContent-Range: bytes "
            + first
            + "-"
            + last
            + "/"
            + content.length
            + "\r\nETag: \"hostile-1\"\r\n");
    if (m == Mode.STALL || m == Mode.TRUNCATE) {
      out.write(body, 0, length / 2);
      out.flush();
      if (m == Mode.STALL) {
        closed.await();
      }
      return false;
    }
    out.write(body);
    out.flush();
    return true;
  }

  private static void send(OutputStream out, String status, String headers) throws IOException {
    out.write(
        ("HTTP/1.1 " + status + "\r\n" + headers + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
    out.flush();
  }

  /** The request line and headers, or null at the end of the connection. */
  private static String readHead(InputStream in) throws IOException {
    StringBuilder sb = new StringBuilder();
    int c;
    try {
      while ((c = in.read()) >= 0) {
        sb.append((char) c);
        if (sb.length() >= 4 && sb.lastIndexOf("\r\n\r\n") == sb.length() - 4) {
          return sb.toString();
        }
      }
    } catch (SocketException e) {
      return null;
    }
    return null;
  }

  @Override
  public synchronized void close() throws IOException {
    closed.countDown();
    for (Socket c : connections) {
      c.close();
    }
    if (listener != null) {
      listener.close();
      listener = null;
    }
  }
}
