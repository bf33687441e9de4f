package dev.cairn.delta;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.cairn.error.CorruptStoreException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

/**
 * Jazzer fuzz targets for the delta store's on-disk parsers: the manifest log, the manifest
 * snapshot and the spill file. The property: opening either succeeds, and then opening again finds
 * the same state and changes nothing more (repair is idempotent), or throws {@link
 * CorruptStoreException}; anything else (an unchecked exception, an error, a hang) is a finding.
 * Torn tails must never be reported as corruption, which the parameterized fuzz tests next to this
 * one check exactly.
 *
 * <p>The targets are structure-aware: the fuzzer's bytes are a script applied to a valid file the
 * target generates (byte 0 picks the file, its bit 0x40 a sealed one, AES-256-GCM; byte 1 the kind
 * of damage, the rest says where and what), so that even the empty input of regression mode ({@code
 * mvn test}) exercises a real file, and real fuzzing explores damage to valid files instead of
 * rejected noise:
 *
 * <pre>
 * JAZZER_FUZZ=1 mvn -pl store test -Dtest=StoreFuzzTest#manifestLog
 * </pre>
 */
class StoreFuzzTest {
  @FuzzTest(maxDuration = "2m")
  void manifestLog(byte[] script) throws IOException {
    Path dir = Files.createTempDirectory("fuzz-manifest");
    try {
      int seed = script.length > 0 ? script[0] : 0;
      ManifestFiles f = manifestFiles(seed, false);
      Files.write(dir.resolve(Manifest.SNAPSHOT_FILE), f.snapshot);
      Files.write(
          dir.resolve("manifest.log." + f.generation),
          damage(f.log, ManifestLog.HEADER_LENGTH, script));
      checkManifestOpens(dir, cipher(seed));
    } finally {
      delete(dir);
    }
  }

  @FuzzTest(maxDuration = "2m")
  void manifestSnapshot(byte[] script) throws IOException {
    Path dir = Files.createTempDirectory("fuzz-snapshot");
    try {
      int seed = script.length > 0 ? script[0] : 0;
      ManifestFiles f = manifestFiles(seed, true);
      Files.write(dir.resolve(Manifest.SNAPSHOT_FILE), damage(f.snapshot, 0, script));
      Files.write(dir.resolve("manifest.log." + f.generation), f.log);
      checkManifestOpens(dir, cipher(seed));
    } finally {
      delete(dir);
    }
  }

  @FuzzTest(maxDuration = "2m")
  void spillFile(byte[] script) throws IOException {
    Path dir = Files.createTempDirectory("fuzz-spill");
    try {
      Path file = dir.resolve("spill.0");
      int seed = script.length > 0 ? script[0] : 0;
      ChunkCompressor c = (seed & 1) == 0 ? DeflateCompressor.INSTANCE : ChunkCompressor.NONE;
      RecordCipher cipher = cipher(seed);
      Files.write(file, damage(spillFile(seed, c), DeltaAllocator.HEADER_LENGTH, script));
      long end;
      try (DeltaAllocator a = DeltaAllocator.open(file, c, 0, false, cipher)) {
        end = a.end();
        // Every record the scan kept must decode, or be reported as corruption.
        try {
          a.scan(
              (offset, count, ids, data) -> {
                for (int s = 0; s < count; s++) {
                  ByteBuffer dst = ByteBuffer.allocate(512);
                  a.read(DeltaAllocator.location(offset, s), ids[s], 0, dst);
                }
              });
        } catch (CorruptStoreException e) {
          return;
        }
      } catch (CorruptStoreException e) {
        return;
      }
      try (DeltaAllocator a = DeltaAllocator.open(file, c, 0, false, cipher)) {
        assertEquals(end, a.end(), "repair is idempotent");
        assertEquals(0, a.recovery().bytesDiscarded());
      }
    } finally {
      delete(dir);
    }
  }

  /** Bit 0x40 of the seed byte asks for a sealed file. */
  private static RecordCipher cipher(int seed) {
    return Ciphers.of((seed & 0x40) != 0);
  }

  /** A valid manifest's two files, generated once per seed (making them costs fsyncs). */
  private record ManifestFiles(byte[] snapshot, byte[] log, long generation) {}

  private static final Map<String, ManifestFiles> MANIFESTS = new ConcurrentHashMap<>();
  private static final Map<String, byte[]> SPILLS = new ConcurrentHashMap<>();

  private static ManifestFiles manifestFiles(int seed, boolean compacted) throws IOException {
    String key = seed + "/" + compacted;
    ManifestFiles f = MANIFESTS.get(key);
    if (f == null) {
      Path dir = Files.createTempDirectory("fuzz-seed");
      try {
        long generation;
        try (Manifest m = buildManifest(dir, seed)) {
          if (compacted) {
            m.compact(); // everything into the snapshot file
          }
          generation = m.generation();
        }
        f =
            new ManifestFiles(
                Files.readAllBytes(dir.resolve(Manifest.SNAPSHOT_FILE)),
                Files.readAllBytes(dir.resolve("manifest.log." + generation)),
                generation);
        MANIFESTS.put(key, f);
      } finally {
        delete(dir);
      }
    }
    return f;
  }

  /** A valid spill file of 3 to 22 chunks, generated once per seed. */
  private static byte[] spillFile(int seed, ChunkCompressor c) throws IOException {
    byte[] cached = SPILLS.get(seed + "/" + c.id());
    if (cached != null) {
      return cached;
    }
    Path dir = Files.createTempDirectory("fuzz-seed");
    try {
      Path file = dir.resolve("spill.0");
      Random r = new Random(seed);
      try (DeltaAllocator a =
          DeltaAllocator.create(file, 512, 1 + (seed & 7), 0, c, cipher(seed))) {
        for (int i = 0; i < 3 + r.nextInt(20); i++) {
          byte[] chunk = new byte[512];
          if (r.nextBoolean()) {
            r.nextBytes(chunk);
          } else {
            Arrays.fill(chunk, (byte) i);
          }
          a.write(i, ByteBuffer.wrap(chunk));
        }
        a.flush();
      }
      byte[] b = Files.readAllBytes(file);
      SPILLS.put(seed + "/" + c.id(), b);
      return b;
    } finally {
      delete(dir);
    }
  }

  /** A manifest with a few synced records of puts, removes and attributes. */
  private static Manifest buildManifest(Path dir, int seed) throws IOException {
    Random r = new Random(seed);
    Manifest m = Manifest.create(dir, new long[Manifest.ATTRIBUTES], cipher(seed));
    for (int rec = 0; rec < 1 + r.nextInt(6); rec++) {
      for (int i = 0; i < 1 + r.nextInt(20); i++) {
        switch (r.nextInt(3)) {
          case 0 -> m.put(r.nextInt(50), r.nextLong());
          case 1 -> m.remove(r.nextInt(50));
          default -> m.setAttribute(r.nextInt(Manifest.ATTRIBUTES), r.nextLong());
        }
      }
      m.sync();
    }
    return m;
  }

  private static void checkManifestOpens(Path dir, RecordCipher cipher) throws IOException {
    LongLongMap first;
    long[] attributes;
    long logBytes;
    try (Manifest m = Manifest.open(dir, cipher)) {
      first = m.copy();
      attributes = m.attributes();
      logBytes = m.logBytes();
    } catch (CorruptStoreException e) {
      return;
    }
    try (Manifest m = Manifest.open(dir, cipher)) {
      assertEquals(first, m.copy(), "repair is idempotent");
      assertEquals(Arrays.toString(attributes), Arrays.toString(m.attributes()));
      assertEquals(logBytes, m.logBytes());
      assertEquals(0, m.recovery().bytesDiscarded());
    }
  }

  /**
   * Applies the script (bytes from index 1 on) to {@code file}, never touching its first {@code
   * keep} bytes: byte 1 picks overwriting (pairs of position and value), truncating (two position
   * bytes) and appending the rest, or replacing everything after {@code keep} by the rest.
   */
  static byte[] damage(byte[] file, int keep, byte[] script) {
    if (script.length < 2) {
      return file;
    }
    int span = Math.max(1, file.length - keep);
    byte[] rest = Arrays.copyOfRange(script, 2, script.length);
    switch (Math.floorMod(script[1], 3)) {
      case 0 -> {
        byte[] b = file.clone();
        for (int i = 0; i + 2 < rest.length && b.length > keep; i += 3) {
          int pos = ((rest[i] & 0xFF) << 8 | (rest[i + 1] & 0xFF)) % span;
          b[keep + pos] = rest[i + 2];
        }
        return b;
      }
      case 1 -> {
        int cut = rest.length < 2 ? span : ((rest[0] & 0xFF) << 8 | (rest[1] & 0xFF)) % (span + 1);
        byte[] tail = rest.length < 2 ? new byte[0] : Arrays.copyOfRange(rest, 2, rest.length);
        byte[] b = Arrays.copyOf(file, Math.min(file.length, keep + cut) + tail.length);
        System.arraycopy(tail, 0, b, b.length - tail.length, tail.length);
        return b;
      }
      default -> {
        byte[] b = Arrays.copyOf(file, Math.min(file.length, keep) + rest.length);
        System.arraycopy(rest, 0, b, b.length - rest.length, rest.length);
        return b;
      }
    }
  }

  private static void delete(Path dir) throws IOException {
    try (Stream<Path> s = Files.walk(dir)) {
      s.sorted(Comparator.reverseOrder())
          .forEach(
              p -> {
                try {
                  Files.delete(p);
                } catch (IOException e) {
                  throw new UncheckedIOException(e);
                }
              });
    }
  }
}
