package dev.cairn.source;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.ByteBuffer;
import java.nio.channels.UnresolvedAddressException;
import java.nio.file.NoSuchFileException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A {@link ByteSource} over an object on an HTTP(S) server that serves byte ranges (RFC 9110 {@code
 * Range}/{@code 206 Partial Content}), such as nginx or any object store's HTTP endpoint. Each
 * fetch is one ranged {@code GET}; the size comes from the first request.
 *
 * <p>Requests are bounded and retried by the {@link RetryPolicy} S3 uses too; the body is received
 * asynchronously so that a server that stops sending mid-body fails the attempt after the timeout
 * (the JDK client's own request timeout ends at the response headers). A server that answers a
 * ranged request with the whole object ({@code 200}) is an error, since reading a snapshot through
 * it would download the object once per block. A response whose {@code Content-Range} does not
 * match the request is an error too: bytes are never taken from the wrong place.
 *
 * <p><b>Thread safety:</b> safe for concurrent use (one {@link HttpClient}, shared).
 */
public final class HttpByteSource extends RemoteByteSource {
  private static final Pattern CONTENT_RANGE = Pattern.compile("bytes (\\d+)-(\\d+)/(\\d+|\\*)");

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
    long total = contentRange(r.headers(), name)[2];
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
    HttpResponse<Void> r = rangedGet(client, uri, name, first, dst, headersAt);
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

  /**
   * One attempt at {@code GET} of the {@code dst.remaining()} bytes at {@code first} of {@code uri}
   * into {@code dst}, bounded by {@link RetryPolicy#timeout()} per wait: the response, whatever its
   * status, its body taken only if it is a {@code 206} of exactly the range asked for (any other
   * {@code 206} is an error), and the time its headers came in {@code headersAt[0]}. Failures name
   * {@code name}, never {@code uri} (which may carry a signature: {@link S3ByteSource}).
   */
  static HttpResponse<Void> rangedGet(
      HttpClient client, URI uri, String name, long first, Scatter dst, long[] headersAt)
      throws IOException {
    long last = first + dst.remaining() - 1;
    int seconds = RetryPolicy.timeout();
    HttpRequest request =
        HttpRequest.newBuilder(uri)
            .timeout(Duration.ofSeconds(seconds))
            .header("Range", "bytes=" + first + "-" + last)
            .GET()
            .build();
    RangeBody body = new RangeBody(name, first, last, dst);
    CompletableFuture<HttpResponse<Void>> call = client.sendAsync(request, body);
    HttpResponse<Void> r = await(call, body, name, seconds);
    headersAt[0] = body.headersAt;
    int status = r.statusCode();
    if (status == 206) {
      long[] range = contentRange(r.headers(), name);
      if (range[0] != first || range[1] != last) {
        throw new IOException(
            name
                + ": asked for bytes "
                + first
                + "-"
                + last
                + ", the server sent "
                + range[0]
                + "-"
                + range[1]);
      }
    }
    return r;
  }

  /**
   * Waits for {@code call} to complete, failing the attempt when the response or the next body
   * bytes do not come in time.
   */
  private static HttpResponse<Void> await(
      CompletableFuture<HttpResponse<Void>> call, RangeBody body, String name, int seconds)
      throws IOException {
    long limit = TimeUnit.SECONDS.toNanos(seconds);
    long sent = System.nanoTime();
    try {
      while (true) {
        long progress = body.lastProgress;
        // Before the headers the client's own connect and request timeouts apply (this deadline
        // only guards against their failing); the wait is cut into slices so that the headers'
        // arrival starts the body's clock without delay.
        long due = progress == 0 ? sent + 3 * limit : progress + limit;
        long wait =
            progress == 0 ? Math.min(due - System.nanoTime(), limit / 8) : due - System.nanoTime();
        try {
          return call.get(Math.max(1, wait), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
          if (body.lastProgress == progress && System.nanoTime() - due >= 0) {
            body.abandon();
            call.cancel(true);
            throw progress == 0
                ? new TransientException(name + ": no response within " + seconds + " s", null)
                : TransientException.stalled(name, null);
          }
        }
      }
    } catch (InterruptedException e) {
      body.abandon();
      call.cancel(true);
      Thread.currentThread().interrupt();
      throw new InterruptedIOException(name + ": interrupted");
    } catch (ExecutionException e) {
      throw failure(name, e.getCause(), seconds);
    }
  }

  /** What went wrong with an attempt, in a few words naming the object. */
  private static IOException failure(String name, Throwable e, int seconds) {
    if (e instanceof TransientException t) {
      return t;
    }
    if (e instanceof IOException io
        && io.getMessage() != null
        && io.getMessage().startsWith(name)) {
      return io;
    }
    if (e instanceof HttpConnectTimeoutException) {
      return new TransientException(name + ": no connection within " + seconds + " s", e);
    }
    if (e instanceof HttpTimeoutException) {
      return new TransientException(name + ": no response within " + seconds + " s", e);
    }
    for (Throwable c = e; c != null; c = c.getCause()) {
      if (c instanceof UnresolvedAddressException) {
        return new IOException(name + ": unknown host " + URI.create(name).getHost(), e);
      }
    }
    if (e instanceof ConnectException) {
      String why = null;
      for (Throwable c = e; c != null && why == null; c = c.getCause()) {
        why = c.getMessage();
      }
      return new TransientException(
          name
              + ": "
              + (why == null || why.contains("refused") ? "connection refused" : lower(why)),
          e);
    }
    if (e instanceof IOException) {
      return new TransientException(
          name + ": " + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()),
          e);
    }
    return new IOException(name + ": " + e, e);
  }

  private static String lower(String s) {
    return s.isEmpty() ? s : Character.toLowerCase(s.charAt(0)) + s.substring(1);
  }

  /**
   * Receives one ranged response: takes the body only if it is the requested range and copies it
   * into the caller's buffer, noting when bytes last arrived; any other body is refused unread.
   * Once the caller has given up ({@link #abandon()}), nothing more is written into its buffer.
   */
  private static final class RangeBody
      implements HttpResponse.BodyHandler<Void>, HttpResponse.BodySubscriber<Void> {
    private final String name;
    private final long first;
    private final long last;
    private final Scatter dst;
    private final int requested;
    private final CompletableFuture<Void> done = new CompletableFuture<>();
    private Flow.Subscription subscription;
    private boolean abandoned;
    private boolean wanted;

    /** {@link System#nanoTime()} when the headers or the latest body bytes came; 0 before. */
    volatile long lastProgress;

    /** {@link System#nanoTime()} when the headers came; 0 before. */
    volatile long headersAt;

    RangeBody(String name, long first, long last, Scatter dst) {
      this.name = name;
      this.first = first;
      this.last = last;
      this.dst = dst;
      this.requested = (int) dst.remaining();
    }

    @Override
    public HttpResponse.BodySubscriber<Void> apply(HttpResponse.ResponseInfo info) {
      long[] range = info.statusCode() == 206 ? parse(info.headers()) : null;
      wanted = range != null && range[0] == first && range[1] == last;
      headersAt = System.nanoTime();
      lastProgress = headersAt;
      return this;
    }

    @Override
    public CompletionStage<Void> getBody() {
      return done;
    }

    @Override
    public synchronized void onSubscribe(Flow.Subscription s) {
      subscription = s;
      if (!wanted || abandoned) {
        s.cancel();
        done.complete(null);
      } else {
        s.request(1);
      }
    }

    @Override
    public synchronized void onNext(List<ByteBuffer> items) {
      if (abandoned || done.isDone()) {
        return;
      }
      for (ByteBuffer b : items) {
        if (b.remaining() > dst.remaining()) {
          subscription.cancel();
          done.completeExceptionally(
              new IOException(
                  name + ": the server sent more than the " + requested + " bytes requested"));
          return;
        }
        dst.put(b);
      }
      lastProgress = System.nanoTime();
      subscription.request(1);
    }

    @Override
    public synchronized void onError(Throwable t) {
      done.completeExceptionally(
          wanted ? TransientException.closedShort(name, (int) dst.remaining(), requested, t) : t);
    }

    @Override
    public synchronized void onComplete() {
      if (wanted && dst.hasRemaining()) {
        done.completeExceptionally(
            TransientException.closedShort(name, (int) dst.remaining(), requested, null));
      } else {
        done.complete(null);
      }
    }

    /** Stops taking bytes: the caller no longer waits for them. */
    synchronized void abandon() {
      abandoned = true;
      if (subscription != null) {
        subscription.cancel();
      }
    }
  }

  /** {@code Content-Range: bytes FIRST-LAST/TOTAL} as {first, last, total or -1}, or null. */
  private static long[] parse(HttpHeaders headers) {
    Matcher m = headers.firstValue("Content-Range").map(CONTENT_RANGE::matcher).orElse(null);
    if (m == null || !m.matches()) {
      return null;
    }
    long total = m.group(3).equals("*") ? -1 : Long.parseLong(m.group(3));
    return new long[] {Long.parseLong(m.group(1)), Long.parseLong(m.group(2)), total};
  }

  private static long[] contentRange(HttpHeaders headers, String name) throws IOException {
    long[] range = parse(headers);
    if (range == null) {
      throw new IOException(name + ": partial response without a usable Content-Range header");
    }
    return range;
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
