package dev.cairn.mount;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.cairn.args.Snapshots;
import dev.cairn.crypto.KeyRing;
import dev.cairn.read.BlockCache;
import dev.cairn.read.ReadStats;
import dev.cairn.read.Snapshot;
import dev.cairn.read.SnapshotChain;
import dev.cairn.read.StreamReader;
import dev.cairn.sign.Trust;
import dev.cairn.source.ByteSource;
import dev.cairn.source.ChunkCachingSource;
import dev.cairn.source.S3ByteSource;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;

/**
 * The remote half of the class-data training run ({@link ServeMain} {@code --cds-train}): reads the
 * training snapshot over HTTP and over S3 from a stand-in server on the loopback interface that
 * serves that local file, so the HTTP and S3 clients, the chunk cache and the disk cache are loaded
 * and initialised in the run and land in the archive. Without it a serving process's first remote
 * mount loaded about 1,800 classes of the AWS SDK from the jar (bytecode verified, not mapped),
 * most of a second on the mount's critical path. Nothing leaves the machine: the training never
 * reads a user's remote snapshot (that would be their bandwidth, spent on a start-up artifact), and
 * its disk cache is a temporary folder, not the user's.
 *
 * <p>Not thread-safe (sets {@code cairn.cacheDir} for the process while it runs): for the training
 * JVM only.
 */
final class RemoteTraining {
  private static final String CACHE_DIR = "cairn.cacheDir";

  private static final Pattern RANGE = Pattern.compile("bytes=(\\d+)-(\\d+)");

  private RemoteTraining() {}

  /**
   * Reads {@code snap}, a local file, through both remote sources; their disk cache goes in {@code
   * dir}, a temporary folder the caller deletes.
   */
  static void run(Path snap, Path dir) throws IOException {
    read(snap, dir);
  }

  private static void read(Path snap, Path dir) throws IOException {
    String cacheDir = System.getProperty(CACHE_DIR);
    System.setProperty(CACHE_DIR, dir.resolve("cache").toString());
    try {
      readThroughLoopback(snap);
    } finally {
      if (cacheDir == null) {
        System.clearProperty(CACHE_DIR);
      } else {
        System.setProperty(CACHE_DIR, cacheDir);
      }
    }
  }

  private static void readThroughLoopback(Path snap) throws IOException {
    HttpServer server =
        HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext("/", exchange -> serve(exchange, snap));
    server.start();
    try {
      String base = "http://127.0.0.1:" + server.getAddress().getPort();
      try (SnapshotChain chain =
          Snapshots.openChain(
              base + "/train.cairn",
              BlockCache.withCapacity(4 << 20),
              new ReadStats(),
              List.of(),
              KeyRing.NONE,
              Trust.NONE)) {
        readSome(chain.top());
      }
      S3ByteSource.Settings settings =
          new S3ByteSource.Settings(
              URI.create(base),
              "us-east-1",
              StaticCredentialsProvider.create(AwsBasicCredentials.create("train", "train")));
      try (ByteSource s3 =
          ChunkCachingSource.of(
              S3ByteSource.open(URI.create("s3://cairn-training/train.cairn"), settings))) {
        Snapshot.readHeader(s3);
      }
    } finally {
      server.stop(0);
    }
  }

  private static void readSome(Snapshot s) throws IOException {
    ByteBuffer buf = ByteBuffer.allocateDirect(64 << 10);
    for (StreamReader r : s.streams()) {
      buf.clear().limit((int) Math.min(r.size(), buf.capacity()));
      r.read(0, buf);
    }
  }

  /** HEAD and ranged GET of {@code file}, whatever the path: what both clients ask for. */
  private static void serve(HttpExchange exchange, Path file) throws IOException {
    try (exchange;
        FileChannel ch = FileChannel.open(file)) {
      long size = ch.size();
      exchange.getResponseHeaders().set("ETag", "\"cairn-training\"");
      exchange.getResponseHeaders().set("Accept-Ranges", "bytes");
      exchange.getResponseHeaders().set("Content-Type", "application/octet-stream");
      if (exchange.getRequestMethod().equals("HEAD")) {
        exchange.getResponseHeaders().set("Content-Length", Long.toString(size));
        exchange.sendResponseHeaders(200, -1);
        return;
      }
      String range = exchange.getRequestHeaders().getFirst("Range");
      Matcher m = range == null ? null : RANGE.matcher(range);
      long from = 0;
      long to = size - 1;
      if (m != null && m.matches()) {
        from = Long.parseLong(m.group(1));
        to = Math.min(size - 1, Long.parseLong(m.group(2)));
        exchange.getResponseHeaders().set("Content-Range", "bytes " + from + "-" + to + "/" + size);
      }
      int length = (int) (to - from + 1);
      exchange.sendResponseHeaders(m != null && m.matches() ? 206 : 200, length);
      ByteBuffer b = ByteBuffer.allocate(length);
      while (b.hasRemaining() && ch.read(b, from + b.position()) >= 0) {
        // fill
      }
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(b.array(), 0, b.position());
      }
    }
  }
}
