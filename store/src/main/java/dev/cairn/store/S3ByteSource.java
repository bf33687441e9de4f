package dev.cairn.store;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.time.Duration;
import java.util.Map;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.core.exception.AbortedException;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3ClientBuilder;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.S3Exception;

/**
 * A {@link ByteSource} over an S3 object, {@code s3://BUCKET/KEY}: each fetch is one ranged {@code
 * GetObject}; the size comes from a {@code HeadObject} when it is opened. Works with AWS and with
 * S3-compatible servers (MinIO, Ceph, S3Proxy): an endpoint from the environment switches to
 * path-style addressing, which those servers expect.
 *
 * <p>The AWS SDK retries transient failures (throttling, {@code 5xx}, connection errors) with
 * backoff; a response whose {@code Content-Range} does not match the request is an error, so bytes
 * are never taken from the wrong place.
 *
 * <p><b>Thread safety:</b> safe for concurrent use (one {@link S3Client}, shared).
 */
public final class S3ByteSource extends RemoteByteSource {
  private final S3Client client;
  private final String bucket;
  private final String key;

  private S3ByteSource(
      String name, long size, String etag, S3Client client, String bucket, String key) {
    super(name, size, etag);
    this.client = client;
    this.bucket = bucket;
    this.key = key;
  }

  /** Whether {@code spec} names an S3 object. */
  public static boolean isUrl(String spec) {
    return spec.startsWith("s3://");
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
   * Opens the object {@code s3://BUCKET/KEY}.
   *
   * @throws NoSuchFileException if the bucket or the key does not exist
   * @throws IllegalArgumentException if the URL has no bucket or no key
   * @throws IOException if S3 cannot be reached or refuses access
   */
  public static S3ByteSource open(URI uri, Settings settings) throws IOException {
    String bucket = uri.getHost() != null ? uri.getHost() : uri.getAuthority();
    String rawPath = uri.getRawPath() == null ? "" : uri.getRawPath();
    String key = URLDecoder.decode(rawPath.replaceFirst("^/", ""), StandardCharsets.UTF_8);
    if (bucket == null || bucket.isEmpty() || key.isEmpty()) {
      throw new IllegalArgumentException(uri + ": an S3 URL is s3://BUCKET/KEY");
    }
    String name = "s3://" + bucket + "/" + key;
    S3Client client = client(settings);
    boolean opened = false;
    try {
      HeadObjectResponse head = client.headObject(b -> b.bucket(bucket).key(key));
      S3ByteSource source =
          new S3ByteSource(name, head.contentLength(), head.eTag(), client, bucket, key);
      opened = true;
      return source;
    } catch (S3Exception e) {
      throw failure(name, e);
    } catch (SdkClientException e) {
      throw unreachable(name, e);
    } finally {
      if (!opened) {
        client.close();
      }
    }
  }

  private static S3Client client(Settings settings) {
    S3ClientBuilder b =
        S3Client.builder()
            .httpClientBuilder(
                UrlConnectionHttpClient.builder()
                    .connectionTimeout(Duration.ofSeconds(10))
                    .socketTimeout(Duration.ofSeconds(30)))
            .region(Region.of(settings.region()))
            .credentialsProvider(settings.credentials());
    if (settings.endpoint() != null) {
      b.endpointOverride(settings.endpoint()).forcePathStyle(true);
    }
    return b.build();
  }

  @Override
  void fetch(long position, ByteBuffer dst) throws IOException {
    long last = position + dst.remaining() - 1;
    try (ResponseInputStream<GetObjectResponse> in =
        client.getObject(b -> b.bucket(bucket).key(key).range("bytes=" + position + "-" + last))) {
      String range = in.response().contentRange();
      String expected = "bytes " + position + "-" + last + "/";
      if (range == null || !range.startsWith(expected)) {
        throw new IOException(
            describe() + ": asked for bytes " + position + "-" + last + ", S3 sent " + range);
      }
      readBody(in, dst);
    } catch (S3Exception e) {
      throw failure(describe(), e);
    } catch (AbortedException e) {
      throw new InterruptedIOException(describe() + ": interrupted");
    } catch (SdkClientException e) {
      throw unreachable(describe(), e);
    }
  }

  private static IOException failure(String name, S3Exception e) {
    int status = e.statusCode();
    String code = e.awsErrorDetails() == null ? null : e.awsErrorDetails().errorCode();
    if (status == 404) {
      return new NoSuchFileException(name, null, "S3 404" + (code == null ? "" : " " + code));
    }
    if (status == 403) {
      return new IOException(
          name
              + ": S3 refused access (403"
              + (code == null ? "" : " " + code)
              + "); check AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_REGION",
          e);
    }
    return new IOException(name + ": S3 " + status + (code == null ? "" : " " + code), e);
  }

  private static IOException unreachable(String name, SdkClientException e) {
    return new IOException(name + ": cannot reach S3: " + e.getMessage(), e);
  }

  @Override
  public void close() {
    super.close();
    client.close();
  }
}
