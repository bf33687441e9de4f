package dev.cairn.golden;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.cairn.crypto.KeyRing;
import dev.cairn.crypto.KeySource;
import dev.cairn.format.Header;
import dev.cairn.read.BlockCache;
import dev.cairn.read.ReadStats;
import dev.cairn.read.Snapshot;
import dev.cairn.read.SnapshotChain;
import dev.cairn.sign.KeyFiles;
import dev.cairn.sign.SigningKey;
import dev.cairn.sign.Trust;
import dev.cairn.source.ByteSource;
import dev.cairn.source.FileByteSource;
import dev.cairn.testing.MemoryChannel;
import dev.cairn.testing.Snapshots;
import dev.cairn.trust.SignatureFile;
import dev.cairn.trust.Signer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The committed signature files of two format-1.2 golden snapshots ({@code tiny-lz4.cairn.sig},
 * {@code tiny-encrypted.cairn.sig}, signature file version 1, signed with the committed test key
 * {@code golden-sign.key}): they verify and read back every byte, and signing the same snapshot
 * again with the same key and time writes them byte for byte (Ed25519 is deterministic), so the
 * writer cannot drift from the documented layout unnoticed.
 */
class GoldenSignatureTest {
  private static final Path DIR = GoldenFiles.dir(GoldenFileTest.V1_2.dir());
  private static final String KEY_ID = "c53938283d7bcaa4";

  private static Trust trust() throws IOException {
    return Trust.of(List.of(KeyFiles.readPublic(DIR.resolve("golden-sign.pub"))));
  }

  @ParameterizedTest
  @ValueSource(strings = {GoldenFiles.LZ4, GoldenFiles.ENCRYPTED})
  void signedGoldenSnapshotReadsBackEveryByteWithTrust(String file) throws IOException {
    KeyRing keys =
        file.equals(GoldenFiles.ENCRYPTED)
            ? KeyRing.of(List.of(KeySource.KeyFile.read(DIR.resolve(GoldenFiles.KEY_FILE))))
            : KeyRing.NONE;
    try (SnapshotChain c =
        SnapshotChain.open(
            DIR.resolve(file),
            List.of(),
            BlockCache.withCapacity(1 << 20),
            new ReadStats(),
            keys,
            trust())) {
      assertArrayEquals(GoldenFiles.primary(), Snapshots.readAll(c.top().stream(0)));
      assertArrayEquals(GoldenFiles.secondary(), Snapshots.readAll(c.top().stream(1)));
      assertEquals(KEY_ID, c.top().signature().orElseThrow().signer().id().hex());
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {GoldenFiles.LZ4, GoldenFiles.ENCRYPTED})
  void signingAgainWritesTheCommittedSignatureByteForByte(String file) throws IOException {
    Path snap = DIR.resolve(file);
    byte[] committed = Files.readAllBytes(SignatureFile.siblingOf(snap));
    SigningKey key = KeyFiles.readPrivate(DIR.resolve("golden-sign.key"));
    MemoryChannel out = new MemoryChannel();
    try (ByteSource src = FileByteSource.open(snap);
        ByteSource sig = FileByteSource.open(SignatureFile.siblingOf(snap))) {
      Header h = Snapshot.readHeader(src);
      long signedAt = SignatureFile.read(sig).statement().signedAtMillis();
      Signer.write(
          src,
          new Signer.Binding(h.snapshotId(), dev.cairn.format.SnapshotId.NONE, new byte[32]),
          key,
          signedAt,
          out,
          done -> {});
    }
    assertArrayEquals(committed, out.toByteArray());
  }

  @Test
  void committedKeyHasTheDocumentedId() throws IOException {
    assertEquals(KEY_ID, trust().keys().get(0).id().hex());
    assertEquals(KEY_ID, KeyFiles.readPrivate(DIR.resolve("golden-sign.key")).id().hex());
  }
}
