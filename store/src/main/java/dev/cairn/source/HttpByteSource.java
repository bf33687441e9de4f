package dev.cairn.source;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.file.NoSuchFileException;
import java.time.Duration;

/**
 * A {@link ByteSource} over an object on an HTTP(S) server that serves byte ranges (RFC 9110 {@code
 * Range}/{@code 206 Partial Content}), such as nginx or any object store's HTTP endpoint. Each
 * fetch is one ranged {@code GET}; the size comes from the first request.
 *
 * <p>Requests are bounded and retried by the {@link RetryPolicy} S3 uses too; each attempt is a
 * {@link RangedGet}, whose body stops the attempt if the server stops sending mid-body. A server
 * that answers a ranged request with the whole object ({@code 200}) is an error, since reading a
 * snapshot through it would download the object once per block. A response whose {@code
 * Content-Range} does not match the request is an error too: bytes are never taken from the wrong
 * place.
 *
 * <p><b>Thread safety:</b> safe for concurrent use (one {@link HttpClient}, shared).
 */
public final class HttpByteSource extends RemoteByteSource {
  private final URI uri;
  private final HttpClient client;

  private HttpByteSource(URI uri, HttpClient client, long size, String validator) {
    super(describe(uri), size, validator);
    this.uri = uri;
    this.client = client;
  }

  /** Whether {@code spec} names an HTTP or HTTPS object. */
  public static boolean isUrl(String spec) {
    return isHttpUrl(spec);
  }

  /**
   * Opens the object at {@code uri}: asks for its first byte to learn its size and to check that
   * the server serves ranges.
   *
   * @throws java.nio.file.NoSuchFileException if the server says 404 or 410
   * @throws IOException if it cannot be reached or does not serve byte ranges
   */
  public static HttpByteSource open(URI uri) throws IOException {
    return open(uri, 0, RetryPolicy.ATTEMPTS);
  }

  /**
   * {@link #open(URI)} with attempts {@code from} to {@code to - 1} ({@link RetryPolicy#attempts}).
   */
  static HttpByteSource open(URI uri, int from, int to) throws IOException {
    HttpClient client =
        HttpClient.newBuilder()
            .connectTimeout(Duration.ofSeconds(RetryPolicy.timeout()))
            .followRedirects(HttpClient.Redirect.NORMAL)
            .build();
    String name = describe(uri);
    HttpResponse<Void> r =
        RetryPolicy.attempts(
            () -> get(client, uri, name, 0, new Scatter(ByteBuffer.allocate(1)), new long[1]),
            from,
            to);
    if (r.statusCode() != 206) {
      // an empty object: there is no byte 0 to send (200 with nothing, or 416)
      return new HttpByteSource(uri, client, 0, null);
    }
    long total = RangedGet.contentRange(r.headers(), name)[2];
    if (total < 0) {
      throw new IOException(name + ": the server does not say how large the object is");
    }
    String validator =
        r.headers()
            .firstValue("ETag")
            .or(() -> r.headers().firstValue("Last-Modified"))
            .orElse(null);
    return new HttpByteSource(uri, client, total, validator);
  }

  @Override
  long fetch(long position, Scatter dst) throws IOException {
    long[] headers = new long[1];
    HttpResponse<Void> r = get(client, uri, describe(), position, dst, headers);
    if (r.statusCode() != 206) {
      throw new IOException(describe() + ": HTTP " + r.statusCode() + " for a ranged request");
    }
    return headers[0];
  }

  /**
   * One attempt at {@code GET} of the {@code dst.remaining()} bytes at {@code first} into {@code
   * dst}. Returns the {@code 206} response with {@code dst} filled, or, for a probe of byte 0, the
   * answer for an empty object ({@code 416}, or {@code 200} without a body).
   */
  private static HttpResponse<Void> get(
      HttpClient client, URI uri, String name, long first, Scatter dst, long[] headersAt)
      throws IOException {
    HttpResponse<Void> r = RangedGet.send(client, uri, name, first, dst, headersAt);
    int status = r.statusCode();
    if (status == 206) {
      return r;
    }
    if (first == 0
        && (status == 416
            || (status == 200 && r.headers().firstValueAsLong("Content-Length").orElse(-1) == 0))) {
      return r;
    }
    if (status == 404 || status == 410) {
      throw new NoSuchFileException(name, null, "HTTP " + status);
    }
    if (status == 200) {
      throw new IOException(
          name + ": the server ignores byte ranges (it answered a ranged request with 200)");
    }
    if (status == 429 || status >= 500) {
      throw new TransientException(name + ": HTTP " + status, null);
    }
    throw new IOException(name + ": HTTP " + status);
  }

  /** The URL without credentials or query (which may carry signatures), for messages. */
  static String describe(URI uri) {
    return uri.getScheme()
        + "://"
        + uri.getHost()
        + (uri.getPort() < 0 ? "" : ":" + uri.getPort())
        + uri.getRawPath();
  }
}
