package dev.cairn.store;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A {@link ByteSource} over an object on an HTTP(S) server that serves byte ranges (RFC 9110 {@code
 * Range}/{@code 206 Partial Content}), such as nginx or any object store's HTTP endpoint. Each
 * fetch is one ranged {@code GET}; the size comes from the first request.
 *
 * <p>Transient failures (connection errors, {@code 5xx}, {@code 429}) are retried three times with
 * a growing pause; a server that answers a ranged request with the whole object ({@code 200}) is an
 * error, since reading a snapshot through it would download the object once per block. A response
 * whose {@code Content-Range} does not match the request is an error too: bytes are never taken
 * from the wrong place.
 *
 * <p><b>Thread safety:</b> safe for concurrent use (one {@link HttpClient}, shared).
 */
public final class HttpByteSource extends RemoteByteSource {
  private static final Pattern CONTENT_RANGE = Pattern.compile("bytes (\\d+)-(\\d+)/(\\d+|\\*)");
  private static final int ATTEMPTS = 4;
  private static final Duration TIMEOUT = Duration.ofSeconds(30);

  private final URI uri;
  private final HttpClient client;

  private HttpByteSource(URI uri, HttpClient client, long size, String validator) {
    super(describe(uri), size, validator);
    this.uri = uri;
    this.client = client;
  }

  /** Whether {@code spec} names an HTTP or HTTPS object. */
  public static boolean isUrl(String spec) {
    return spec.startsWith("http://") || spec.startsWith("https://");
  }

  /**
   * Opens the object at {@code uri}: asks for its first byte to learn its size and to check that
   * the server serves ranges.
   *
   * @throws java.nio.file.NoSuchFileException if the server says 404 or 410
   * @throws IOException if it cannot be reached or does not serve byte ranges
   */
  public static HttpByteSource open(URI uri) throws IOException {
    HttpClient client =
        HttpClient.newBuilder()
            .connectTimeout(Duration.ofSeconds(10))
            .followRedirects(HttpClient.Redirect.NORMAL)
            .build();
    String name = describe(uri);
    HttpResponse<InputStream> r = get(client, uri, name, 0, 0, true);
    try (InputStream body = r.body()) {
      if (r.statusCode() != 206) {
        // an empty object: there is no byte 0 to send (200 with nothing, or 416)
        return new HttpByteSource(uri, client, 0, null);
      }
      long[] range = contentRange(r.headers(), name);
      if (range[2] < 0) {
        throw new IOException(name + ": the server does not say how large the object is");
      }
      body.readAllBytes();
      String validator =
          r.headers()
              .firstValue("ETag")
              .or(() -> r.headers().firstValue("Last-Modified"))
              .orElse(null);
      return new HttpByteSource(uri, client, range[2], validator);
    }
  }

  @Override
  void fetch(long position, ByteBuffer dst) throws IOException {
    int length = dst.remaining();
    String name = describe();
    HttpResponse<InputStream> r = get(client, uri, name, position, position + length - 1, false);
    try (InputStream body = r.body()) {
      long[] range = contentRange(r.headers(), name);
      if (range[0] != position || range[1] != position + length - 1) {
        throw new IOException(
            name
                + ": asked for bytes "
                + position
                + "-"
                + (position + length - 1)
                + ", the server sent "
                + range[0]
                + "-"
                + range[1]);
      }
      readBody(body, dst);
    }
  }

  /**
   * One ranged GET with retries; returns a {@code 206} response whose body the caller closes, or,
   * if {@code probe}, also the answer for an empty object ({@code 416}, or {@code 200} without a
   * body).
   */
  private static HttpResponse<InputStream> get(
      HttpClient client, URI uri, String name, long first, long last, boolean probe)
      throws IOException {
    HttpRequest request =
        HttpRequest.newBuilder(uri)
            .timeout(TIMEOUT)
            .header("Range", "bytes=" + first + "-" + last)
            .GET()
            .build();
    IOException failure = null;
    for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
      if (attempt > 0) {
        pause(attempt);
      }
      HttpResponse<InputStream> r;
      try {
        r = client.send(request, HttpResponse.BodyHandlers.ofInputStream());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new InterruptedIOException(name + ": interrupted");
      } catch (IOException e) {
        // a refused connection comes without a message: name the exception instead
        String why = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        failure = new IOException(name + ": " + why, e);
        continue;
      }
      int status = r.statusCode();
      if (status == 206) {
        return r;
      }
      if (probe
          && (status == 416
              || (status == 200
                  && r.headers().firstValueAsLong("Content-Length").orElse(-1) == 0))) {
        return r;
      }
      r.body().close();
      if (status == 404 || status == 410) {
        throw new java.nio.file.NoSuchFileException(name, null, "HTTP " + status);
      }
      if (status == 200) {
        throw new IOException(
            name + ": the server ignores byte ranges (it answered a ranged request with 200)");
      }
      failure = new IOException(name + ": HTTP " + status);
      if (status != 429 && status < 500) {
        throw failure;
      }
    }
    throw new IOException(
        failure.getMessage() + " (gave up after " + ATTEMPTS + " attempts)", failure);
  }

  private static void pause(int attempt) throws InterruptedIOException {
    try {
      Thread.sleep(100L << attempt);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted");
    }
  }

  /** {@code Content-Range: bytes FIRST-LAST/TOTAL} as {first, last, total or -1}. */
  private static long[] contentRange(HttpHeaders headers, String name) throws IOException {
    Optional<String> v = headers.firstValue("Content-Range");
    Matcher m = v.map(CONTENT_RANGE::matcher).filter(Matcher::matches).orElse(null);
    if (m == null) {
      throw new IOException(name + ": partial response without a usable Content-Range header");
    }
    long total = m.group(3).equals("*") ? -1 : Long.parseLong(m.group(3));
    return new long[] {Long.parseLong(m.group(1)), Long.parseLong(m.group(2)), total};
  }

  /** The URL without credentials or query (which may carry signatures), for messages. */
  private static String describe(URI uri) {
    return uri.getScheme()
        + "://"
        + uri.getHost()
        + (uri.getPort() < 0 ? "" : ":" + uri.getPort())
        + uri.getRawPath();
  }
}
