package dev.cairn.write;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cairn.codec.DictionaryTrainer;
import dev.cairn.format.CodecType;
import dev.cairn.read.Snapshot;
import dev.cairn.read.Verifier;
import dev.cairn.source.FileByteSource;
import dev.cairn.testing.MemoryChannel;
import dev.cairn.testing.Snapshots;
import dev.cairn.testing.TestData;
import dev.cairn.testing.TestData.Kind;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Packing with a trained zstd dictionary, which is stored after the header. */
class DictionaryPackTest {
  @TempDir Path dir;

  @Test
  void packWithATrainedDictionaryReadsBack() throws IOException {
    byte[] data = TestData.generate(Kind.MIXED, 80 * 4096 + 123, 4096, 5);
    byte[] notes = TestData.text(5000, 6);
    Path in = dir.resolve("disk.img");
    Path in2 = dir.resolve("notes.txt");
    Files.write(in, data);
    Files.write(in2, notes);
    byte[] dict = DictionaryTrainer.train(in, 4096);
    assertNotNull(dict, "80 blocks of mixed content are enough to train on");
    Path out = dir.resolve("d.cairn");
    WriterOptions opts =
        WriterOptions.defaults()
            .withCodec(CodecType.ZSTD, 9)
            .withBlockSizeLog2(12)
            .withEntriesPerPage(7);
    SnapshotWriter.Result r =
        Pack.run(
            List.of(new Pack.Input(in, "disk.img"), new Pack.Input(in2, "notes.txt")),
            out,
            opts,
            dict,
            null,
            d -> {});
    assertEquals(dict.length, r.header().dictionaryLength());
    try (Snapshot snap = Snapshots.open(FileByteSource.open(out), 1 << 20)) {
      assertEquals(dict.length, snap.header().dictionaryLength());
      assertEquals(r.header().encode().remaining() + (long) dict.length, snap.dataStart());
      assertArrayEquals(data, Snapshots.readAll(snap.stream(0)));
      assertArrayEquals(notes, Snapshots.readAll(snap.stream(1)));
      Snapshots.checkRandomReads(snap.stream(0), data, 50, 1);
      Verifier.Report v = new Verifier(snap).run(d -> {});
      assertTrue(v.ok(), v.problems().toString());
    }
  }

  @Test
  void trainerDeclinesSmallOrEmptyInputs() throws IOException {
    Path small = dir.resolve("small");
    Files.write(small, TestData.text(15 * 4096, 1));
    assertNull(DictionaryTrainer.train(small, 4096), "fewer than 16 blocks");
    Path zeros = dir.resolve("zeros");
    Files.write(zeros, new byte[64 * 4096]);
    assertNull(DictionaryTrainer.train(zeros, 4096), "nothing but zero blocks");
  }

  @Test
  void dictionaryNeedsZstdAndASensibleSize() {
    byte[] dict = TestData.text(1000, 1);
    WriterOptions lz4 = WriterOptions.defaults();
    assertThrows(
        IllegalArgumentException.class,
        () -> SnapshotWriter.start(new MemoryChannel(), lz4, List.of("a"), dict));
    WriterOptions zstd = lz4.withCodec(CodecType.ZSTD, 3);
    assertThrows(
        IllegalArgumentException.class,
        () -> SnapshotWriter.start(new MemoryChannel(), zstd, List.of("a"), new byte[0]));
    assertThrows(
        IllegalArgumentException.class,
        () ->
            SnapshotWriter.start(new MemoryChannel(), zstd, List.of("a"), new byte[(4 << 20) + 1]));
  }
}
