package dev.cairn.overlay;

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
import java.util.List;

/** Base snapshots on disk for overlay tests, and an opener for them. */
final class Bases {
  static final String PRIMARY = "disk.img";
  static final String SECONDARY = "notes.txt";

  private Bases() {}

  /** Mixed content (random, text, zero and sparse runs that ignore block boundaries). */
  static byte[] content(int size, long seed) {
    return TestData.generate(TestData.Kind.MIXED, size, 4096, seed);
  }

  /** Writes a two-stream LZ4 snapshot with {@code primary} as its primary stream. */
  static Path write(Path file, byte[] primary, int blockLog2) throws IOException {
    WriterOptions o =
        WriterOptions.defaults()
            .withCodec(CodecType.LZ4, 0)
            .withBlockSizeLog2(blockLog2)
            .withEntriesPerPage(8)
            .withThreads(2);
    Snapshots.Written w =
        Snapshots.write(o, List.of(PRIMARY, SECONDARY), primary, "secondary".getBytes());
    Files.createDirectories(file.toAbsolutePath().getParent());
    Files.write(file, w.file());
    return file;
  }

  static Snapshot open(Path file) throws IOException {
    return Snapshot.open(
        FileByteSource.open(file), BlockCache.withCapacity(8 << 20), new ReadStats());
  }

  static SnapshotOpener opener() {
    return Bases::open;
  }
}
