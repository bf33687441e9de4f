package dev.cairn.golden;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cairn.crypto.KeyRing;
import dev.cairn.crypto.KeySource;
import dev.cairn.error.MissingKeyException;
import dev.cairn.error.WrongKeyException;
import dev.cairn.format.BlockEntry;
import dev.cairn.format.BlockKind;
import dev.cairn.format.CodecType;
import dev.cairn.format.HashAlgorithm;
import dev.cairn.format.Header;
import dev.cairn.read.BlockCache;
import dev.cairn.read.ReadStats;
import dev.cairn.read.Snapshot;
import dev.cairn.read.StreamReader;
import dev.cairn.read.Verifier;
import dev.cairn.source.FileByteSource;
import dev.cairn.testing.Snapshots;
import dev.cairn.testing.TestData;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Reads the committed golden snapshots of every format version (made by {@link GoldenFiles}) and
 * compares every byte with the committed inputs. If this fails, the format changed incompatibly:
 * files users already have would no longer read. Fix the reader, do not regenerate the golden
 * files.
 */
class GoldenFileTest {
  /** One released format version: its directory, minor version and content hash algorithm. */
  record Version(String dir, int minor, HashAlgorithm hash) {
    @Override
    public String toString() {
      return dir;
    }

    byte[] expectedHash(byte[] data, int from, int to) {
      return hash == HashAlgorithm.SHA256_128
          ? TestData.sha256Hash(data, from, to)
          : TestData.contentHash(data, from, to);
    }
  }

  static final Version V1_0 = new Version("v1", 0, HashAlgorithm.SHA256_128);
  static final Version V1_1 = new Version("v1.1", 1, HashAlgorithm.XXH3_128);
  static final Version V1_2 = new Version("v1.2", 2, HashAlgorithm.XXH3_128);

  static Stream<Arguments> goldens() {
    return Stream.concat(
        Stream.of(V1_0, V1_1, V1_2)
            .flatMap(
                v ->
                    Stream.of(
                        Arguments.of(v, GoldenFiles.LZ4, CodecType.LZ4, 0),
                        Arguments.of(v, GoldenFiles.ZSTD, CodecType.ZSTD, 3))),
        Stream.of(
            Arguments.of(V1_2, GoldenFiles.ENCRYPTED, CodecType.ZSTD, 3),
            Arguments.of(V1_2, GoldenFiles.PASSPHRASE_ENCRYPTED, CodecType.LZ4, 0)));
  }

  static boolean encrypted(String file) {
    return file.equals(GoldenFiles.ENCRYPTED) || file.equals(GoldenFiles.PASSPHRASE_ENCRYPTED);
  }

  @Test
  void encryptedGoldenFilesNeedTheirKeysAndSayWhichIsMissing() throws IOException {
    Path dir = GoldenFiles.dir(V1_2.dir());
    for (String file : List.of(GoldenFiles.ENCRYPTED, GoldenFiles.PASSPHRASE_ENCRYPTED)) {
      Path path = dir.resolve(file);
      MissingKeyException missing =
          assertThrows(
              MissingKeyException.class,
              () -> Snapshots.open(FileByteSource.open(path), 1 << 20).close());
      assertEquals(
          path + " is encrypted: give --key-file or --passphrase-env", missing.getMessage());
      byte[] other = GoldenFiles.key();
      other[0] ^= 1;
      KeyRing wrong =
          KeyRing.of(
              List.of(
                  new KeySource.KeyFile("key file other.key", other),
                  new KeySource.Passphrase("passphrase from $P", "not it".getBytes(UTF_8))));
      WrongKeyException w =
          assertThrows(
              WrongKeyException.class,
              () ->
                  Snapshot.open(
                          FileByteSource.open(path),
                          BlockCache.withCapacity(1 << 20),
                          new ReadStats(),
                          wrong)
                      .close());
      assertEquals(
          "wrong key for " + path + " (tried key file other.key, passphrase from $P)",
          w.getMessage());
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("versions")
  void committedInputsAreTheOnesTheGeneratorDescribes(Version v) throws IOException {
    // Guards the inputs themselves: the comparison below is only as good as they are.
    assertArrayEquals(GoldenFiles.primary(), read(v, GoldenFiles.PRIMARY));
    assertArrayEquals(GoldenFiles.secondary(), read(v, GoldenFiles.SECONDARY));
  }

  static Stream<Version> versions() {
    return Stream.of(V1_0, V1_1, V1_2);
  }

  @Test
  void theCurrentVersionHasGoldenFiles() {
    assertEquals(GoldenFiles.CURRENT, V1_2.dir());
    assertEquals(Header.MINOR_VERSION, V1_2.minor());
    assertEquals(HashAlgorithm.defaultAlgorithm(), V1_2.hash());
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("goldens")
  void goldenSnapshotReadsBackEveryByte(Version v, String file, CodecType codec, int level)
      throws IOException {
    Path path = GoldenFiles.dir(v.dir()).resolve(file);
    assertTrue(Files.isRegularFile(path), "golden file missing: " + path);
    byte[] primary = read(v, GoldenFiles.PRIMARY);
    byte[] secondary = read(v, GoldenFiles.SECONDARY);
    boolean sealed = encrypted(file);
    KeyRing keys = sealed ? GoldenFiles.keys(v.dir()) : KeyRing.NONE;
    int tag = sealed ? 16 : 0;
    try (Snapshot snap =
        Snapshot.open(
            FileByteSource.open(path), BlockCache.withCapacity(1 << 20), new ReadStats(), keys)) {
      Header h = snap.header();
      assertEquals(v.minor(), h.minorVersion());
      assertEquals(v.hash(), h.contentHash());
      assertEquals(List.of(GoldenFiles.PRIMARY, GoldenFiles.SECONDARY), h.streamNames());
      assertEquals(codec, h.codec());
      assertEquals(level, h.codecLevel());
      assertEquals(4096, h.blockSize());
      assertEquals(12, h.blockSizeLog2());
      assertEquals(1024, h.entriesPerPage());
      assertFalse(h.hasParent());
      assertEquals(sealed, h.encryption().enabled());
      assertEquals(0, h.dictionaryLength());
      assertFalse(h.snapshotId().isNone());

      StreamReader p = snap.stream(0);
      StreamReader s = snap.stream(1);
      assertEquals(primary.length, p.size());
      assertEquals(secondary.length, s.size());
      assertEquals(4, p.blockCount());
      assertEquals(1, s.blockCount());
      assertArrayEquals(primary, Snapshots.readAll(p));
      assertArrayEquals(secondary, Snapshots.readAll(s));
      Snapshots.checkRandomReads(p, primary, 100, 1);
      Snapshots.checkRandomReads(s, secondary, 20, 2);

      // Block kinds and content hashes as written: text compresses, zeros are not stored,
      // random bytes are stored raw.
      assertEquals(BlockKind.COMPRESSED, p.entry(0).kind());
      assertEquals(BlockKind.ZERO, p.entry(1).kind());
      assertEquals(0, p.entry(1).storedLength());
      assertEquals(BlockKind.RAW, p.entry(2).kind());
      assertEquals(4096 + tag, p.entry(2).storedLength());
      assertEquals(BlockKind.COMPRESSED, p.entry(3).kind());
      for (int b = 0; b < 4; b++) {
        BlockEntry e = p.entry(b);
        int from = b * 4096;
        int to = Math.min(primary.length, from + 4096);
        assertArrayEquals(v.expectedHash(primary, from, to), e.contentHash(), "block " + b);
      }
      assertArrayEquals(v.expectedHash(secondary, 0, secondary.length), s.entry(0).contentHash());

      Verifier.Report report = new Verifier(snap).run(d -> {});
      assertTrue(report.ok(), report.problems().toString());
      assertEquals(5, report.blocksChecked());
    }
  }

  /** The fixed parts of the v1 layout, straight from the bytes. */
  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("goldens")
  void goldenSnapshotHasTheV1Layout(Version v, String file, CodecType codec, int level)
      throws IOException {
    byte[] f = Files.readAllBytes(GoldenFiles.dir(v.dir()).resolve(file));
    ByteBuffer b = ByteBuffer.wrap(f).order(ByteOrder.LITTLE_ENDIAN);
    assertArrayEquals(
        new byte[] {(byte) 0x89, 'C', 'A', 'I', 'R', 'N', '\r', '\n'}, Arrays.copyOf(f, 8));
    assertEquals(1, b.getShort(8), "major version");
    assertEquals(v.minor(), b.getShort(10), "minor version");
    int headerLength = b.getInt(12);
    assertEquals(120 + 4 + (2 + 8) + (2 + 9) + 2, headerLength);
    assertEquals(12, f[40], "block size log2");
    assertEquals(codec.id(), f[41], "codec id");
    assertEquals(level, f[42], "codec level");
    assertEquals(v.hash().id(), f[43], "hash algorithm");
    assertEquals(2, f[60], "stream count");
    // The trailer: "CAIRNEND", then the footer right before it.
    int t = f.length - 48;
    assertEquals("CAIRNEND", new String(f, t, 8, java.nio.charset.StandardCharsets.US_ASCII));
    long footerOffset = b.getLong(t + 8);
    int footerLength = b.getInt(t + 16);
    assertEquals(t, footerOffset + footerLength);
    assertEquals(
        "CFTR", new String(f, (int) footerOffset, 4, java.nio.charset.StandardCharsets.US_ASCII));
    // Snapshot id in the header equals the one in the trailer.
    assertArrayEquals(Arrays.copyOfRange(f, 16, 32), Arrays.copyOfRange(f, t + 24, t + 40));
    // Data starts right after the header; the first index page follows stream 0's blocks.
    long page0 = b.getLong((int) footerOffset + 8 + 32);
    assertEquals("CIXP", new String(f, (int) page0, 4, java.nio.charset.StandardCharsets.US_ASCII));
  }

  static byte[] read(Version v, String name) throws IOException {
    Path p = GoldenFiles.dir(v.dir()).resolve(name);
    assertTrue(Files.isRegularFile(p), "golden input missing: " + p);
    return Files.readAllBytes(p);
  }
}
