package dev.cairn.store;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * A real S3 server for tests: S3Proxy (Maven Central, {@code org.gaul:s3proxy}, copied to {@code
 * target/s3proxy/s3proxy.jar} by the build) on a free local port, storing objects in a local folder
 * and checking SigV4 signatures. Its absence fails the test rather than skipping it.
 *
 * <p>Not thread-safe; one per test class.
 */
public final class S3Proxy implements AutoCloseable {
  public static final String IDENTITY = "cairn-test";
  public static final String CREDENTIAL = "cairn-test-secret";
  public static final String REGION = "us-east-1";

  private final Process process;
  private final URI endpoint;

  private S3Proxy(Process process, URI endpoint) {
    this.process = process;
    this.endpoint = endpoint;
  }

  /** Starts S3Proxy with its objects and logs under {@code dir}. */
  public static S3Proxy start(Path dir) throws IOException, InterruptedException {
    Path jar = Path.of(System.getProperty("cairn.s3proxy.jar", "target/s3proxy/s3proxy.jar"));
    if (!Files.isRegularFile(jar)) {
      throw new IOException(jar.toAbsolutePath() + " is missing (the build copies it there)");
    }
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    Path data = Files.createDirectories(dir.resolve("data"));
    String props =
        String.join(
            "\n",
            "s3proxy.endpoint=http://127.0.0.1:" + port,
            "s3proxy.authorization=aws-v2-or-v4",
            "s3proxy.identity=" + IDENTITY,
            "s3proxy.credential=" + CREDENTIAL,
            "jclouds.provider=filesystem-nio2",
            "jclouds.filesystem.basedir=" + data,
            "");
    Path propsFile = Files.writeString(dir.resolve("s3proxy.properties"), props);
    Path log = dir.resolve("s3proxy.log");
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Process p =
        new ProcessBuilder(
                java, "-Xmx256m", "-jar", jar.toString(), "--properties", propsFile.toString())
            .redirectErrorStream(true)
            .redirectOutput(log.toFile())
            .start();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (true) {
      try (Socket s = new Socket()) {
        s.connect(new InetSocketAddress("127.0.0.1", port), 200);
        return new S3Proxy(p, URI.create("http://127.0.0.1:" + port));
      } catch (IOException e) {
        if (!p.isAlive() || System.nanoTime() > deadline) {
          p.destroyForcibly();
          throw new IOException("S3Proxy did not start: " + Files.readString(log), e);
        }
        Thread.sleep(50);
      }
    }
  }

  public URI endpoint() {
    return endpoint;
  }

  /** How a {@link S3ByteSource} reaches this server. */
  public S3ByteSource.Settings settings() {
    return new S3ByteSource.Settings(
        endpoint,
        REGION,
        StaticCredentialsProvider.create(AwsBasicCredentials.create(IDENTITY, CREDENTIAL)));
  }

  /** The environment a {@code cairn} process needs to reach this server. */
  public Map<String, String> environment() {
    return Map.of(
        "AWS_ENDPOINT_URL", endpoint.toString(),
        "AWS_ACCESS_KEY_ID", IDENTITY,
        "AWS_SECRET_ACCESS_KEY", CREDENTIAL,
        "AWS_REGION", REGION);
  }

  /** Creates {@code bucket} if needed and stores {@code content} under {@code key}. */
  public void put(String bucket, String key, byte[] content) {
    try (S3Client c = client()) {
      if (c.listBuckets().buckets().stream().noneMatch(b -> b.name().equals(bucket))) {
        c.createBucket(b -> b.bucket(bucket));
      }
      c.putObject(b -> b.bucket(bucket).key(key), RequestBody.fromBytes(content));
    }
  }

  /** Like {@link #put(String, String, byte[])} with a file's bytes. */
  public void put(String bucket, String key, Path file) throws IOException {
    put(bucket, key, Files.readAllBytes(file));
  }

  private S3Client client() {
    return S3Client.builder()
        .httpClientBuilder(UrlConnectionHttpClient.builder())
        .endpointOverride(endpoint)
        .forcePathStyle(true)
        .region(Region.of(REGION))
        .credentialsProvider(
            StaticCredentialsProvider.create(AwsBasicCredentials.create(IDENTITY, CREDENTIAL)))
        .build();
  }

  @Override
  public void close() throws InterruptedException {
    process.destroy();
    if (!process.waitFor(10, TimeUnit.SECONDS)) {
      process.destroyForcibly().waitFor();
    }
  }
}
