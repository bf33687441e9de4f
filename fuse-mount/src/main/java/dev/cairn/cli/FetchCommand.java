package dev.cairn.cli;

import dev.cairn.args.Human;
import dev.cairn.args.Snapshots;
import dev.cairn.error.UsageException;
import dev.cairn.read.SnapshotChain;
import dev.cairn.source.ByteSource;
import dev.cairn.source.ChunkCachingSource;
import dev.cairn.source.RemoteByteSource;
import dev.cairn.source.RemoteObjects;
import dev.cairn.trust.SignatureFile;
import java.io.IOException;
import java.net.URI;
import java.nio.file.NoSuchFileException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code cairn fetch SNAP}: puts every chunk of a remote snapshot and of its parents (and their
 * signature files, where the server has them) into the disk cache, so that later mounts read
 * without the network and keep working when the server is gone. Exit 0 only when all of it is
 * cached.
 */
@Command(
    name = "fetch",
    mixinStandardHelpOptions = true,
    description = {
      "Warm the disk cache: fetch every chunk of a remote snapshot and of its parents, so that"
          + " mounts need no server afterwards.",
      "The cache is CAIRN_CACHE_DIR (default ~/.cache/cairn/remote), at most CAIRN_CACHE_LIMIT"
          + " (default 8G). Exit 0 when every chunk is cached."
    })
final class FetchCommand implements Callable<Integer> {
  @Mixin GlobalOptions global;

  @Mixin RemoteOptions remote;

  @Parameters(
      index = "0",
      paramLabel = "SNAP",
      description = "http(s) URL or s3://BUCKET/KEY of a snapshot.")
  String snap;

  @Option(names = "--json", description = "Print one JSON object.")
  boolean json;

  @Override
  public Integer call() throws Exception {
    remote.apply();
    if (!RemoteByteSource.isRemote(snap)) {
      throw new UsageException(
          snap + ": not an http(s):// or s3:// URL; a local snapshot needs no fetching");
    }
    URI uri = Snapshots.uri(snap);
    List<ChunkCachingSource> objects = new ArrayList<>();
    try {
      List<SnapshotChain.RemoteMember> members;
      try {
        members = SnapshotChain.locateUrl(uri);
      } catch (IllegalArgumentException e) {
        throw new UsageException(e.getMessage());
      }
      for (SnapshotChain.RemoteMember m : members) {
        objects.add(cached(m.source()));
        ChunkCachingSource sig = signature(m.location());
        if (sig != null) {
          objects.add(sig);
        }
      }
      long total = 0;
      for (ChunkCachingSource o : objects) {
        total += o.size();
      }
      long t0 = System.nanoTime();
      List<Map<String, Object>> rows = new ArrayList<>();
      long fetched = 0;
      try (Progress progress = Progress.start("fetch", total, json)) {
        long before = 0;
        for (ChunkCachingSource o : objects) {
          long base = before;
          long f = o.warm(done -> progress.accept(base + done));
          fetched += f;
          before += o.size();
          Map<String, Object> row = new LinkedHashMap<>();
          row.put("url", o.describe());
          row.put("size", o.size());
          row.put("fetched_bytes", f);
          row.put("cached_percent", o.counters().get("cached_percent"));
          rows.add(row);
        }
      }
      long nanos = System.nanoTime() - t0;
      if (json) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("snapshot", objects.get(0).describe());
        m.put("complete", true);
        m.put("bytes", total);
        m.put("fetched_bytes", fetched);
        m.put("seconds", nanos / 1e9);
        m.put("objects", rows);
        System.out.println(Json.of(m));
      } else {
        System.out.printf(
            "%s: all %s cached (%d object%s; %s fetched in %s, %s)%n",
            objects.get(0).describe(),
            Human.bytes(total),
            objects.size(),
            objects.size() == 1 ? "" : "s",
            Human.bytes(fetched),
            Human.seconds(nanos),
            Human.rate(fetched, nanos));
      }
      return 0;
    } finally {
      for (ByteSource o : objects) {
        try {
          o.close();
        } catch (IOException e) {
          // nothing was written through it
        }
      }
    }
  }

  private static ChunkCachingSource cached(ByteSource source) throws IOException {
    if (source instanceof ChunkCachingSource c) {
      return c;
    }
    source.close();
    throw new IOException(source.describe() + ": not a remote object");
  }

  /** The member's signature file ({@code .sig} next to it) behind the cache, or null if none. */
  private static ChunkCachingSource signature(URI member) throws IOException {
    try {
      return RemoteObjects.open(SignatureFile.siblingOf(member));
    } catch (NoSuchFileException e) {
      return null;
    }
  }
}
