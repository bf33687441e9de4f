package dev.cairn.fuse;

import static dev.cairn.fuse.MountSupport.cairn;
import static dev.cairn.fuse.MountSupport.cleanUp;
import static dev.cairn.fuse.MountSupport.sha256;
import static dev.cairn.fuse.MountSupport.umount;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cairn.fixture.DelayProxy;
import dev.cairn.fixture.Nginx;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A mount of a snapshot on nginx, read sequentially through the delay proxy (20 ms added to every
 * request): the bytes are the file's (SHA-256), each byte of the snapshot is fetched once, the
 * read-ahead goes out coalesced (far fewer requests than chunks, counted in nginx's access log) on
 * several connections at once, {@code --max-connections} bounds the connections and {@code
 * --max-bandwidth} the rate.
 */
class RemoteThroughputIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int MIB = 1 << 20;
  private static final String PROBE = "\"bytes=0-0\"";

  @TempDir Path dir;
  Path www;
  Path mnt;
  Nginx nginx;

  @BeforeEach
  void serve() throws Exception {
    www = Files.createDirectories(dir.resolve("www"));
    mnt = Files.createDirectory(dir.resolve("mnt"));
    nginx = Nginx.serve(www, Files.createDirectories(dir.resolve("nginx")));
  }

  @AfterEach
  void tearDown() throws Exception {
    cleanUp(mnt);
    nginx.close();
  }

  /** Packs {@code mib} MiB of seeded random bytes as {@code www/NAME.cairn}; returns the input. */
  private Path pack(String name, int mib) throws Exception {
    byte[] data = new byte[mib * MIB + 4321];
    new Random(mib).nextBytes(data);
    Path in = Files.write(dir.resolve(name + ".bin"), data);
    cairn("pack", in.toString(), "-o", www.resolve(name + ".cairn").toString()).ok();
    return in;
  }

  /**
   * A fresh disk cache; no class-data training run (it opens the snapshot in a process of its own
   * and would add its reads to the server's log).
   */
  private Map<String, String> cache() {
    return Map.of("CAIRN_CACHE_DIR", dir.resolve("cache").toString(), "CAIRN_CDS", "0");
  }

  /** The GET requests nginx served for {@code /NAME.cairn} with 206 Partial Content. */
  private List<String[]> ranged(String name) throws Exception {
    return nginx.requests().stream()
        .map(l -> l.split(" "))
        .filter(f -> f[0].equals("GET") && f[1].equals("/" + name + ".cairn") && f[2].equals("206"))
        .toList();
  }

  /**
   * The ranged requests of the serving process: those from the last probe of byte 0 on (each
   * process that opens the snapshot probes it once on a new connection; the serving process opens
   * it last).
   */
  private static List<String[]> served(List<String[]> gets) {
    int last = 0;
    for (int i = 0; i < gets.size(); i++) {
      if (gets.get(i)[4].equals(PROBE)) {
        last = i;
      }
    }
    return gets.subList(last, gets.size());
  }

  private JsonNode remoteStats() throws Exception {
    JsonNode stats = JSON.readTree(mnt.resolve(".cairn/stats.json").toFile());
    assertEquals(1, stats.get("remote").size(), stats.toString());
    return stats.get("remote").get(0);
  }

  @Test
  void aSequentialReadBehind20msIsWholeFetchedOnceAndInFarFewerRequestsThanChunks()
      throws Exception {
    Path in = pack("seq", 64);
    long snapSize = Files.size(www.resolve("seq.cairn"));
    long chunks = (snapSize + MIB - 1) / MIB;
    try (DelayProxy proxy = DelayProxy.start(nginx.port(), 20)) {
      cairn(cache(), "mount", proxy.url("seq.cairn"), mnt.toString()).ok();
      assertEquals(sha256(in), sha256(mnt.resolve("seq.bin")));
      JsonNode remote = remoteStats();
      umount(mnt);

      List<String[]> gets = ranged("seq");
      long body =
          gets.stream().filter(f -> !f[4].equals(PROBE)).mapToLong(f -> Long.parseLong(f[3])).sum();
      long requests = gets.stream().filter(f -> !f[4].equals(PROBE)).count();
      assertTrue(
          requests * 2 <= chunks,
          requests + " ranged requests for " + chunks + " chunks: " + nginx.requests());
      // besides the probes of byte 0 at each open, whole chunks, none twice (the processes share
      // the disk cache)
      assertTrue(body <= snapSize, body + " body bytes for a " + snapSize + "-byte snapshot");
      assertTrue(body >= snapSize * 9 / 10, body + " of " + snapSize);
      Set<String> connections = served(gets).stream().map(f -> f[5]).collect(Collectors.toSet());
      assertTrue(
          connections.size() > 1 && connections.size() <= 8,
          "requests in flight side by side, at most 8: " + connections);
      assertEquals(100.0, remote.get("cached_percent").asDouble(), remote.toString());
      assertTrue(remote.get("bytes_fetched").asLong() <= snapSize, remote.toString());
    }
  }

  @Test
  void maxConnectionsBoundsTheConnectionsToTheServer() throws Exception {
    Path in = pack("two", 24);
    try (DelayProxy proxy = DelayProxy.start(nginx.port(), 20)) {
      cairn(cache(), "mount", proxy.url("two.cairn"), mnt.toString(), "--max-connections", "2")
          .ok();
      assertEquals(sha256(in), sha256(mnt.resolve("two.bin")));
      umount(mnt);
    }
    Set<String> connections =
        served(ranged("two")).stream().map(f -> f[5]).collect(Collectors.toSet());
    assertTrue(
        !connections.isEmpty() && connections.size() <= 2,
        "at most 2 connections: " + nginx.requests());
  }

  @Test
  void maxBandwidthCapsTheRate() throws Exception {
    Path in = pack("slow", 12);
    long snapSize = Files.size(www.resolve("slow.cairn"));
    cairn(cache(), "mount", nginx.url("slow.cairn"), mnt.toString(), "--max-bandwidth", "4M").ok();
    long before = remoteStats().get("bytes_fetched").asLong();
    long t0 = System.nanoTime();
    assertEquals(sha256(in), sha256(mnt.resolve("slow.bin")));
    double seconds = (System.nanoTime() - t0) / 1e9;
    long fetched = remoteStats().get("bytes_fetched").asLong() - before;
    umount(mnt);
    assertTrue(fetched >= 8L * MIB, fetched + " bytes fetched of " + snapSize);
    // at 4 MiB/s, less the 100 ms worth that may go at once
    double least = fetched / (4.0 * MIB) - 0.1;
    assertTrue(seconds >= least, seconds + " s for " + fetched + " bytes at 4 MiB/s");
  }

  @Test
  void aMaxConnectionsOutOfRangeIsAUsageError() throws Exception {
    cairn("mount", nginx.url("x.cairn"), mnt.toString(), "--max-connections", "0")
        .fails(2, "--max-connections 0: give a number from 1 to 64");
  }
}
