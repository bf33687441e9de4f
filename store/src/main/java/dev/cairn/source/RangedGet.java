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
 * One attempt at a ranged {@code GET} over the JDK's HTTP client, as {@link HttpByteSource} and
 * {@link S3ByteSource} (with a presigned URL) fetch: the body is received asynchronously so that a
 * server that stops sending mid-body fails the attempt after {@link RetryPolicy#timeout()} (the
 * client's own request timeout ends at the response headers), and it is taken only if its {@code
 * Content-Range} is exactly the range asked for, so bytes are never taken from the wrong place.
 * What a status other than {@code 206} means is the caller's to say. Failures name the object by
 * the name the caller gives, never by the URL, which may carry a signature.
 *
 * <p>Stateless; thread-safe.
 */
final class RangedGet {
  private static final Pattern CONTENT_RANGE = Pattern.compile("bytes (\\d+)-(\\d+)/(\\d+|\\*)");

  private RangedGet() {}

  /**
   * One attempt at {@code GET} of the {@code dst.remaining()} bytes at {@code first} of {@code uri}
   * into {@code dst}, bounded by {@link RetryPolicy#timeout()} per wait: the response, whatever its
   * status, its body taken only if it is a {@code 206} of exactly the range asked for (any other
   * {@code 206} is an error), and the time its headers came in {@code headersAt[0]}. Failures name
   * {@code name}, never {@code uri} (which may carry a signature: {@link S3ByteSource}).
   */
  static HttpResponse<Void> send(
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
      IOException cut = body.cutShort(e.getCause());
      throw cut != null ? cut : failure(name, e.getCause(), seconds);
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
    private volatile boolean wanted;

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

    /**
     * The attempt failing in the JDK client while a wanted body was coming in, said as the
     * connection closing short, as {@link #onError} says it; null for any other failure. The client
     * reports such a failure through the response itself at times, before or instead of {@link
     * #onError}, in its own words ("fixed content-length: …, bytes received: …"), so which message
     * a truncated body got depended on a race.
     */
    synchronized TransientException cutShort(Throwable cause) {
      String message = cause == null ? null : cause.getMessage();
      if (!wanted
          || abandoned
          || !dst.hasRemaining()
          || !(cause instanceof IOException)
          || cause instanceof TransientException
          || (message != null && message.startsWith(name))) {
        return null;
      }
      return TransientException.closedShort(name, (int) dst.remaining(), requested, cause);
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

  static long[] contentRange(HttpHeaders headers, String name) throws IOException {
    long[] range = parse(headers);
    if (range == null) {
      throw new IOException(name + ": partial response without a usable Content-Range header");
    }
    return range;
  }
}
