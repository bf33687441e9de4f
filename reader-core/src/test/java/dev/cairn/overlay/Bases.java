package dev.cairn.overlay;

import dev.cairn.crypto.KeyRing;
import dev.cairn.crypto.KeySource;
import dev.cairn.format.CodecType;
import dev.cairn.read.BlockCache;
import dev.cairn.read.ReadStats;
import dev.cairn.read.Snapshot;
import dev.cairn.source.FileByteSource;
import dev.cairn.testing.Snapshots;
import dev.cairn.testing.TestData;
import dev.cairn.write.WriterOptions;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.List;

/** Base snapshots on disk for overlay tests, plain or encrypted, and openers for them. */
final class Bases {
  static final String PRIMARY = "disk.img";
  static final String SECONDARY = "notes.txt";

  /** The key encrypted bases are sealed with in tests. */
  static final KeyRing KEYS = keyRing("key file base.key", 1);

  /** Another key, which opens none of them. */
  static final KeyRing OTHER = keyRing("key file other.key", 2);

  private Bases() {}

  static KeyRing keyRing(String label, int seed) {
    byte[] k = new byte[32];
    for (int i = 0; i < k.length; i++) {
      k[i] = (byte) (i * 11 + seed);
    }
    return KeyRing.of(List.of(new KeySource.KeyFile(label, k)));
  }

  /** {@link #KEYS} when {@code encrypted}, else none. */
  static KeyRing keys(boolean encrypted) {
    return encrypted ? KEYS : KeyRing.NONE;
  }

  /** Mixed content (random, text, zero and sparse runs that ignore block boundaries). */
  static byte[] content(int size, long seed) {
    return TestData.generate(TestData.Kind.MIXED, size, 4096, seed);
  }

  /** Writes a two-stream LZ4 snapshot with {@code primary} as its primary stream. */
  static Path write(Path file, byte[] primary, int blockLog2) throws IOException {
    return write(file, primary, blockLog2, KeyRing.NONE);
  }

  /** {@link #write(Path, byte[], int)}, encrypted under the first of {@code keys} if any. */
  static Path write(Path file, byte[] primary, int blockLog2, KeyRing keys) throws IOException {
    WriterOptions o =
        WriterOptions.defaults()
            .withCodec(CodecType.LZ4, 0)
            .withBlockSizeLog2(blockLog2)
            .withEntriesPerPage(8)
            .withThreads(2);
    if (!keys.isEmpty()) {
      o = o.withSealing(keys.newSealing(new SecureRandom()));
    }
    Snapshots.Written w =
        Snapshots.write(o, List.of(PRIMARY, SECONDARY), primary, "secondary".getBytes());
    Files.createDirectories(file.toAbsolutePath().getParent());
    Files.write(file, w.file());
    return file;
  }

  static Snapshot open(Path file) throws IOException {
    return open(file, KeyRing.NONE);
  }

  static Snapshot open(Path file, KeyRing keys) throws IOException {
    return Snapshot.open(
        FileByteSource.open(file), BlockCache.withCapacity(8 << 20), new ReadStats(), keys);
  }

  static SnapshotOpener opener() {
    return Bases::open;
  }

  static SnapshotOpener opener(KeyRing keys) {
    return p -> open(p, keys);
  }
}
