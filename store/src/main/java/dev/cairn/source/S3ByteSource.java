package dev.cairn.source;

import dev.cairn.error.NoCredentialsException;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.ConnectException;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.URLDecoder;
import java.net.UnknownHostException;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.time.Duration;
import java.util.Map;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.core.exception.AbortedException;
import software.amazon.awssdk.core.exception.ApiCallAttemptTimeoutException;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3ClientBuilder;
import software.amazon.awssdk.services.s3.S3Configuration;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.presigner.S3Presigner;
import software.amazon.awssdk.services.s3.presigner.model.PresignedGetObjectRequest;

/**
 * A {@link ByteSource} over an S3 object, {@code s3://BUCKET/KEY}: the size and ETag come from a
 * {@code HeadObject} when it is opened; each fetch is then one ranged {@code GET} of a presigned
 * {@code GetObject} URL, a {@link RangedGet} as {@link HttpByteSource} sends. The SDK's request
 * pipeline cost a serving process about 750 µs of CPU per request where the plain ranged GET of a
 * presigned URL costs about 130 (3,000 GETs of 50 KB from S3Proxy on loopback, one thread, C1 only
 * as a serving process runs): a boot's background fetch of some 700 pieces shares the guest's
 * cores. The URL is presigned with {@link #VALIDITY} of validity and presigned anew after a third
 * of it (credentials that the SDK's provider refreshes are taken up then), and once more when S3
 * refuses it; it never appears in a message or a log. Works with AWS and with S3-compatible servers
 * (MinIO, Ceph, S3Proxy): an endpoint from the environment switches to path-style addressing, which
 * those servers expect.
 *
 * <p>Requests are bounded and retried by the {@link RetryPolicy} HTTP uses too: the SDK's own
 * retries are off, timeouts bound every wait for a response, and a transient failure (throttling,
 * {@code 5xx}, connection errors, a stalled or short body) is repeated by {@link
 * RetryPolicy#withRetries}. A response whose {@code Content-Range} does not match the request is an
 * error, so bytes are never taken from the wrong place.
 *
 * <p><b>Thread safety:</b> safe for concurrent use (one {@link S3Client}, one presigner and one
 * HTTP client, shared).
 */
public final class S3ByteSource extends RemoteByteSource {
  /** How long a presigned URL is valid; it is presigned anew after a third of that. */
  static final Duration VALIDITY = Duration.ofMinutes(15);

  private final S3Client client;
  private final S3Presigner presigner;
  private final HttpClient http;
  private final String bucket;
  private final String key;
  private volatile Presigned presigned;

  /** A presigned {@code GetObject} URL and when ({@link System#nanoTime()}) to presign anew. */
  private record Presigned(URI url, long renewAt) {}

  private S3ByteSource(
      String name,
      long size,
      String etag,
      S3Client client,
      S3Presigner presigner,
      String bucket,
      String key) {
    super(name, size, etag);
    this.client = client;
    this.presigner = presigner;
    this.bucket = bucket;
    this.key = key;
    this.http =
        HttpClient.newBuilder()
            .connectTimeout(Duration.ofSeconds(RetryPolicy.timeout()))
            .followRedirects(HttpClient.Redirect.NEVER)
            .build();
  }

  /** Whether {@code spec} names an S3 object. */
  public static boolean isUrl(String spec) {
    return isS3Url(spec);
  }

  /**
   * Where and as whom to reach S3.
   *
   * @param endpoint a non-AWS server ({@code AWS_ENDPOINT_URL_S3} or {@code AWS_ENDPOINT_URL}), or
   *     null for AWS itself
   * @param region the signing region ({@code AWS_REGION}, {@code AWS_DEFAULT_REGION}, else
   *     us-east-1)
   * @param credentials the SDK's usual chain unless a test passes its own
   */
  public record Settings(URI endpoint, String region, AwsCredentialsProvider credentials) {
    /** From the usual AWS environment variables, as the CLI contract says. */
    public static Settings fromEnvironment() {
      return from(System.getenv());
    }

    static Settings from(Map<String, String> env) {
      String endpoint = firstSet(env, "AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL");
      String region = firstSet(env, "AWS_REGION", "AWS_DEFAULT_REGION");
      return new Settings(
          endpoint == null ? null : URI.create(endpoint),
          region == null ? "us-east-1" : region,
          DefaultCredentialsProvider.builder().build());
    }

    private static String firstSet(Map<String, String> env, String... names) {
      for (String n : names) {
        String v = env.get(n);
        if (v != null && !v.isBlank()) {
          return v.trim();
        }
      }
      return null;
    }
  }

  /** Opens {@code uri} with {@link Settings#fromEnvironment()}. */
  public static S3ByteSource open(URI uri) throws IOException {
    return open(uri, Settings.fromEnvironment());
  }

  /**
   * {@link #open(URI)} with attempts {@code from} to {@code to - 1} ({@link RetryPolicy#attempts}).
   */
  static S3ByteSource open(URI uri, int from, int to) throws IOException {
    return open(uri, Settings.fromEnvironment(), from, to);
  }

  /**
   * Opens the object {@code s3://BUCKET/KEY}.
   *
   * @throws NoSuchFileException if the bucket or the key does not exist
   * @throws IllegalArgumentException if the URL has no bucket or no key
   * @throws IOException if S3 cannot be reached or refuses access
   */
  public static S3ByteSource open(URI uri, Settings settings) throws IOException {
    return open(uri, settings, 0, RetryPolicy.ATTEMPTS);
  }

  private static S3ByteSource open(URI uri, Settings settings, int from, int to)
      throws IOException {
    String bucket = uri.getHost() != null ? uri.getHost() : uri.getAuthority();
    String rawPath = uri.getRawPath() == null ? "" : uri.getRawPath();
    String key = URLDecoder.decode(rawPath.replaceFirst("^/", ""), StandardCharsets.UTF_8);
    if (bucket == null || bucket.isEmpty() || key.isEmpty()) {
      throw new IllegalArgumentException(uri + ": an S3 URL is s3://BUCKET/KEY");
    }
    String name = nameOf(bucket, key);
    try {
      settings.credentials().resolveCredentials();
    } catch (SdkClientException e) {
      // the SDK's message lists every provider it tried (well over a thousand characters)
      throw new NoCredentialsException(
          name
              + ": no AWS credentials found; set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or"
              + " AWS_PROFILE)",
          e);
    }
    S3Client client = client(settings);
    S3Presigner presigner = null;
    boolean opened = false;
    try {
      HeadObjectResponse head =
          RetryPolicy.attempts(
              () -> attempt(name, () -> client.headObject(b -> b.bucket(bucket).key(key))),
              from,
              to);
      presigner = presigner(settings);
      S3ByteSource source =
          new S3ByteSource(name, head.contentLength(), head.eTag(), client, presigner, bucket, key);
      opened = true;
      return source;
    } finally {
      if (!opened) {
        client.close();
        if (presigner != null) {
          presigner.close();
        }
      }
    }
  }

  /** The name {@code s3://BUCKET/KEY} stands for in messages and in the disk cache. */
  static String nameOf(String bucket, String key) {
    return "s3://" + bucket + "/" + key;
  }

  /** {@link #nameOf(String, String)} of an {@code s3://} URL, or null if it lacks a part. */
  static String nameOf(URI uri) {
    String bucket = uri.getHost() != null ? uri.getHost() : uri.getAuthority();
    String rawPath = uri.getRawPath() == null ? "" : uri.getRawPath();
    String key = URLDecoder.decode(rawPath.replaceFirst("^/", ""), StandardCharsets.UTF_8);
    return bucket == null || bucket.isEmpty() || key.isEmpty() ? null : nameOf(bucket, key);
  }

  private static S3Client client(Settings settings) {
    if (System.getProperty("http.maxConnections") == null) {
      // the URL connection client keeps 5 idle keep-alive connections per server by default:
      // as many as requests may be in flight at once, so that none is opened anew per request
      System.setProperty(
          "http.maxConnections", Integer.toString(RemoteLimits.shared().maxConnections()));
    }
    Duration timeout = Duration.ofSeconds(RetryPolicy.timeout());
    S3ClientBuilder b =
        S3Client.builder()
            .httpClientBuilder(
                UrlConnectionHttpClient.builder().connectionTimeout(timeout).socketTimeout(timeout))
            .overrideConfiguration(
                o ->
                    o.retryStrategy(AwsRetryStrategy.doNotRetry())
                        // the socket timeout bounds each wait; this bounds a server that sends
                        // its headers a byte at a time
                        .apiCallAttemptTimeout(timeout.multipliedBy(3)))
            .region(Region.of(settings.region()))
            .credentialsProvider(settings.credentials());
    if (settings.endpoint() != null) {
      b.endpointOverride(settings.endpoint()).forcePathStyle(true);
    }
    return b.build();
  }

  private static S3Presigner presigner(Settings settings) {
    S3Presigner.Builder b =
        S3Presigner.builder()
            .region(Region.of(settings.region()))
            .credentialsProvider(settings.credentials());
    if (settings.endpoint() != null) {
      b.endpointOverride(settings.endpoint())
          .serviceConfiguration(S3Configuration.builder().pathStyleAccessEnabled(true).build());
    }
    return b.build();
  }

  @Override
  long fetch(long position, Scatter dst) throws IOException {
    String name = describe();
    long[] headers = new long[1];
    HttpResponse<Void> r = RangedGet.send(http, url(false), name, position, dst, headers);
    if (r.statusCode() == 403) {
      // an URL presigned with credentials that have expired since: once more with the current ones
      r = RangedGet.send(http, url(true), name, position, dst, headers);
    }
    int status = r.statusCode();
    if (status == 206) {
      return headers[0];
    }
    if (status == 404) {
      throw new NoSuchFileException(name, null, "S3 404");
    }
    if (status == 403) {
      throw refused(name, "403", null);
    }
    if (status == 200) {
      throw new IOException(name + ": S3 answered a ranged request with the whole object (200)");
    }
    if (status == 429 || status >= 500) {
      throw new TransientException(name + ": S3 " + status, null);
    }
    throw new IOException(name + ": S3 " + status);
  }

  /** The presigned URL to fetch with: the current one, unless due or {@code renew}. */
  private URI url(boolean renew) throws IOException {
    Presigned p = presigned;
    if (!renew && p != null && System.nanoTime() - p.renewAt() < 0) {
      return p.url();
    }
    synchronized (this) {
      Presigned now = presigned;
      if (now != p && now != null) {
        return now.url(); // another thread presigned it meanwhile
      }
      PresignedGetObjectRequest signed =
          attempt(
              describe(),
              () ->
                  presigner.presignGetObject(
                      b ->
                          b.signatureDuration(VALIDITY)
                              .getObjectRequest(g -> g.bucket(bucket).key(key))));
      try {
        URI url = signed.url().toURI();
        presigned = new Presigned(url, System.nanoTime() + VALIDITY.toNanos() / 3);
        return url;
      } catch (java.net.URISyntaxException e) {
        throw new IOException(describe() + ": the presigned URL is not a URI", e);
      }
    }
  }

  /** One call to S3, its failures told in a few words naming the object. */
  private static <T> T attempt(String name, java.util.function.Supplier<T> call)
      throws IOException {
    try {
      return call.get();
    } catch (S3Exception e) {
      throw failure(name, e);
    } catch (AbortedException e) {
      throw new InterruptedIOException(name + ": interrupted");
    } catch (ApiCallAttemptTimeoutException e) {
      throw new TransientException(
          name + ": no response within " + 3 * RetryPolicy.timeout() + " s", e);
    } catch (SdkClientException e) {
      throw unreachable(name, e);
    }
  }

  private static IOException failure(String name, S3Exception e) {
    int status = e.statusCode();
    String code = e.awsErrorDetails() == null ? null : e.awsErrorDetails().errorCode();
    if (status == 429 || status >= 500) {
      return new TransientException(name + ": S3 " + status + (code == null ? "" : " " + code), e);
    }
    if (status == 404) {
      return new NoSuchFileException(name, null, "S3 404" + (code == null ? "" : " " + code));
    }
    if (status == 403) {
      return refused(name, "403" + (code == null ? "" : " " + code), e);
    }
    return new IOException(name + ": S3 " + status + (code == null ? "" : " " + code), e);
  }

  private static IOException refused(String name, String why, Exception e) {
    return new IOException(
        name
            + ": S3 refused access ("
            + why
            + "); check AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_REGION",
        e);
  }

  private static IOException unreachable(String name, SdkClientException e) {
    for (Throwable c = e; c != null; c = c.getCause()) {
      if (c instanceof UnknownHostException u) {
        return new IOException(name + ": unknown host " + u.getMessage(), e);
      }
      if (c instanceof ConnectException) {
        String why = c.getMessage();
        return new TransientException(
            name + ": " + (why == null || why.contains("refused") ? "connection refused" : why), e);
      }
      if (c instanceof SocketTimeoutException t) {
        boolean connecting = t.getMessage() != null && t.getMessage().contains("connect");
        return new TransientException(
            name
                + (connecting ? ": no connection within " : ": no response within ")
                + RetryPolicy.timeout()
                + " s",
            e);
      }
    }
    return new TransientException(name + ": cannot reach S3: " + e.getMessage(), e);
  }

  @Override
  public void close() {
    super.close();
    client.close();
    presigner.close();
  }
}
