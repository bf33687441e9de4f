package dev.cairn.store;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real nginx serving a directory on a free local port, for tests of HTTP sources. nginx is a
 * prerequisite (scripts/test installs it); its absence fails the test rather than skipping it.
 *
 * <p>Not thread-safe; one per test class.
 */
public final class Nginx implements AutoCloseable {
  private final Process process;
  private final int port;

  private Nginx(Process process, int port) {
    this.process = process;
    this.port = port;
  }

  /** Starts nginx serving {@code root}, with its own files under {@code prefix}. */
  public static Nginx serve(Path root, Path prefix) throws IOException, InterruptedException {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    return serve(root, prefix, port);
  }

  /** Like {@link #serve(Path, Path)} on {@code port} (to bring a stopped server back). */
  public static Nginx serve(Path root, Path prefix, int port)
      throws IOException, InterruptedException {
    Path nginx =
        List.of(Path.of("/usr/sbin/nginx"), Path.of("/usr/bin/nginx")).stream()
            .filter(Files::isExecutable)
            .findFirst()
            .orElseThrow(
                () -> new IOException("nginx is not installed (Debian: apt-get install nginx)"));
    Files.createDirectories(prefix.resolve("tmp"));
    StringBuilder temp = new StringBuilder();
    for (String kind : List.of("client_body", "proxy", "fastcgi", "uwsgi", "scgi")) {
      temp.append("  ")
          .append(kind)
          .append("_temp_path ")
          .append(prefix.resolve("tmp"))
          .append(";\n");
    }
    String conf =
        String.join(
            "\n",
            "user root;",
            "worker_processes 1;",
            "daemon off;",
            "error_log " + prefix.resolve("error.log") + ";",
            "pid " + prefix.resolve("nginx.pid") + ";",
            "events { worker_connections 64; }",
            "http {",
            "  access_log off;",
            "  default_type application/octet-stream;",
            temp.toString(),
            "  server { listen 127.0.0.1:" + port + "; root " + root + "; }",
            "}",
            "");
    Path confFile = Files.writeString(prefix.resolve("nginx.conf"), conf);
    Process p =
        new ProcessBuilder(nginx.toString(), "-p", prefix.toString(), "-c", confFile.toString())
            .redirectErrorStream(true)
            .redirectOutput(prefix.resolve("nginx.out").toFile())
            .start();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (true) {
      try (Socket s = new Socket()) {
        s.connect(new InetSocketAddress("127.0.0.1", port), 200);
        return new Nginx(p, port);
      } catch (IOException e) {
        if (!p.isAlive() || System.nanoTime() > deadline) {
          p.destroyForcibly();
          throw new IOException(
              "nginx did not start: " + Files.readString(prefix.resolve("nginx.out")), e);
        }
        Thread.sleep(20);
      }
    }
  }

  public int port() {
    return port;
  }

  /** {@code http://127.0.0.1:PORT/} + {@code path}. */
  public String url(String path) {
    return "http://127.0.0.1:" + port + "/" + path;
  }

  @Override
  public void close() throws InterruptedException {
    process.destroy();
    if (!process.waitFor(5, TimeUnit.SECONDS)) {
      process.destroyForcibly().waitFor();
    }
  }
}
