package dev.cairn.write;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cairn.format.CodecType;
import dev.cairn.read.Snapshot;
import dev.cairn.source.FileByteSource;
import dev.cairn.testing.Snapshots;
import dev.cairn.testing.TestData;
import dev.cairn.testing.TestData.Kind;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** {@link Pack#run} on real files: round trips, progress, and failing without damage. */
class PackTest {
  @TempDir Path dir;

  static Stream<Arguments> cases() {
    return Stream.of(
        Arguments.of(CodecType.LZ4, 0, 12, 0, 0),
        Arguments.of(CodecType.LZ4, 0, 16, 1, 300),
        Arguments.of(CodecType.LZ4, 12, 12, 4095, 4097),
        Arguments.of(CodecType.ZSTD, 3, 16, 65536 * 3 + 1, 0),
        Arguments.of(CodecType.ZSTD, -3, 20, (1 << 20) + 1, 1 << 16),
        Arguments.of(CodecType.ZSTD, 19, 12, 40_000, 5000),
        Arguments.of(CodecType.NONE, 0, 14, 100_000, 1));
  }

  @ParameterizedTest(name = "{0}/{1} bs=2^{2} sizes {3},{4}")
  @MethodSource("cases")
  void packedFilesReadBackExactly(CodecType codec, int level, int log2, int size1, int size2)
      throws IOException {
    byte[] a = TestData.generate(Kind.MIXED, size1, 1 << log2, size1);
    byte[] b = TestData.generate(Kind.TEXT, size2, 1 << log2, size2);
    Path in1 = write("disk.img", a);
    Path in2 = write("notes.txt", b);
    Path out = dir.resolve("out.cairn");
    WriterOptions opts =
        WriterOptions.defaults()
            .withCodec(codec, level)
            .withBlockSizeLog2(log2)
            .withEntriesPerPage(3);
    List<Long> progress = new ArrayList<>();
    SnapshotWriter.Result r =
        Pack.run(
            List.of(new Pack.Input(in1, "disk.img"), new Pack.Input(in2, "second name")),
            out,
            opts,
            progress::add);
    assertEquals(Files.size(out), r.fileSize());
    for (int i = 1; i < progress.size(); i++) {
      assertTrue(progress.get(i) >= progress.get(i - 1), "progress never goes back");
    }
    if (size1 + size2 > 0) {
      assertEquals((long) size1 + size2, progress.get(progress.size() - 1));
    }
    try (Snapshot snap = Snapshots.open(FileByteSource.open(out), 8 << 20)) {
      assertEquals(List.of("disk.img", "second name"), snap.header().streamNames());
      assertEquals(codec, snap.header().codec());
      assertEquals(level, snap.header().codecLevel());
      assertEquals(1 << log2, snap.header().blockSize());
      assertEquals(r.header(), snap.header());
      assertEquals(out.toString(), snap.describe());
      assertArrayEquals(a, Snapshots.readAll(snap.stream(0)));
      assertArrayEquals(b, Snapshots.readAll(snap.stream(1)));
      Snapshots.checkRandomReads(snap.stream(0), a, 40, 3);
    }
    assertNoTempFiles();
  }

  @Test
  void packReplacesAnExistingOutput() throws IOException {
    Path out = write("out.cairn", "old contents".getBytes(StandardCharsets.UTF_8));
    byte[] a = TestData.text(10_000, 1);
    Pack.run(List.of(new Pack.Input(write("a", a), "a")), out, WriterOptions.defaults(), d -> {});
    try (Snapshot snap = Snapshots.open(FileByteSource.open(out), 1 << 20)) {
      assertArrayEquals(a, Snapshots.readAll(snap.stream(0)));
    }
    assertNoTempFiles();
  }

  // ----- failures leave existing output untouched and no temporary file behind -----

  static final byte[] PRECIOUS =
      "an earlier snapshot that must survive".getBytes(StandardCharsets.UTF_8);

  @Test
  void missingInputLeavesExistingOutputAlone() throws IOException {
    Path out = write("out.cairn", PRECIOUS);
    Path missing = dir.resolve("vanished.img");
    assertThrows(
        NoSuchFileException.class,
        () ->
            Pack.run(
                List.of(new Pack.Input(missing, "vanished.img")),
                out,
                WriterOptions.defaults(),
                d -> {}));
    assertUntouched(out);
  }

  @Test
  void directoryAsInputLeavesExistingOutputAlone() throws IOException {
    Path out = write("out.cairn", PRECIOUS);
    Path sub = Files.createDirectory(dir.resolve("a-directory"));
    assertThrows(
        IOException.class,
        () ->
            Pack.run(
                List.of(new Pack.Input(sub, "a-directory")),
                out,
                WriterOptions.defaults(),
                d -> {}));
    assertUntouched(out);
  }

  @Test
  void secondaryVanishingAfterThePrimaryWasWrittenLeavesExistingOutputAlone() throws IOException {
    Path out = write("out.cairn", PRECIOUS);
    Path a = write("a.img", TestData.random(300_000, 1));
    Path b = dir.resolve("b.txt"); // never created
    assertThrows(
        NoSuchFileException.class,
        () ->
            Pack.run(
                List.of(new Pack.Input(a, "a.img"), new Pack.Input(b, "b.txt")),
                out,
                WriterOptions.defaults().withBlockSizeLog2(12),
                d -> {}));
    assertUntouched(out);
  }

  @Test
  void inputShrinkingWhilePackingLeavesExistingOutputAlone() throws IOException {
    Path out = write("out.cairn", PRECIOUS);
    // larger than the read-ahead window, so the truncation happens before the tail is read
    Path a = write("a.img", TestData.text(40 << 20, 1));
    assertThrows(
        IOException.class,
        () ->
            Pack.run(
                List.of(new Pack.Input(a, "a.img")),
                out,
                WriterOptions.defaults().withBlockSizeLog2(12).withThreads(1),
                done -> {
                  if (done == 1 << 20) {
                    try {
                      Files.write(a, new byte[10]); // truncate under the writer's feet
                    } catch (IOException e) {
                      throw new java.io.UncheckedIOException(e);
                    }
                  }
                }));
    assertUntouched(out);
  }

  @Test
  void invalidStreamNameLeavesExistingOutputAlone() throws IOException {
    Path out = write("out.cairn", PRECIOUS);
    Path a = write("a.img", new byte[10]);
    assertThrows(
        IllegalArgumentException.class,
        () ->
            Pack.run(
                List.of(new Pack.Input(a, "bad/name")), out, WriterOptions.defaults(), d -> {}));
    assertUntouched(out);
  }

  @Test
  void failureWithoutAnExistingOutputCreatesNone() throws IOException {
    Path out = dir.resolve("never.cairn");
    assertThrows(
        NoSuchFileException.class,
        () ->
            Pack.run(
                List.of(new Pack.Input(dir.resolve("nope"), "nope")),
                out,
                WriterOptions.defaults(),
                d -> {}));
    assertFalse(Files.exists(out));
    assertNoTempFiles();
  }

  private void assertUntouched(Path out) throws IOException {
    assertArrayEquals(PRECIOUS, Files.readAllBytes(out), "existing output unchanged");
    assertNoTempFiles();
  }

  private void assertNoTempFiles() throws IOException {
    try (Stream<Path> files = Files.list(dir)) {
      List<String> temps =
          files.map(p -> p.getFileName().toString()).filter(n -> n.contains(".tmp")).toList();
      assertEquals(List.of(), temps, "temporary files left behind");
    }
  }

  private Path write(String name, byte[] content) throws IOException {
    Path p = dir.resolve(name);
    Files.write(p, content);
    return p;
  }
}
