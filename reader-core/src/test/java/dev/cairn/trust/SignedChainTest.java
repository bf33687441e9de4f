package dev.cairn.trust;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.cairn.crypto.KeyRing;
import dev.cairn.error.UntrustedSnapshotException;
import dev.cairn.format.Header;
import dev.cairn.format.SnapshotId;
import dev.cairn.read.BlockCache;
import dev.cairn.read.ReadStats;
import dev.cairn.read.Snapshot;
import dev.cairn.read.SnapshotChain;
import dev.cairn.sign.SigningKey;
import dev.cairn.sign.Trust;
import dev.cairn.source.ByteSource;
import dev.cairn.source.FileByteSource;
import dev.cairn.testing.Snapshots;
import dev.cairn.testing.TestData;
import dev.cairn.write.Pack;
import dev.cairn.write.WriterOptions;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Chains read with trusted keys: every member must be signed, and a child's signature binds its
 * parent's, so that a child is never read over another parent than the one it was signed over.
 */
class SignedChainTest {
  private static final SigningKey KEY = SigningKey.generate(new SecureRandom());
  private static final SigningKey OTHER = SigningKey.generate(new SecureRandom());

  @TempDir Path dir;

  private final byte[] v1 = TestData.random(300 * 4096 + 17, 1);
  private final byte[] v2 = changed(v1);

  private static byte[] changed(byte[] v) {
    byte[] c = v.clone();
    for (int i = 0; i < c.length; i += 50 * 4096) {
      c[i] ^= 0x55;
    }
    return c;
  }

  private Path pack(String name, byte[] content, Path parent) throws IOException {
    Path in = dir.resolve(name + ".img");
    Files.write(in, content);
    Path out = dir.resolve(name + ".cairn");
    WriterOptions o = WriterOptions.defaults().withBlockSizeLog2(12).withEntriesPerPage(64);
    if (parent == null) {
      Pack.run(List.of(new Pack.Input(in, "disk.img")), out, o, b -> {});
      return out;
    }
    try (SnapshotChain p = chain(parent, Trust.NONE)) {
      o = o.withParent(p.top().header(), parent.getFileName().toString());
      Pack.run(List.of(new Pack.Input(in, "disk.img")), out, o, null, p.top(), b -> {});
    }
    return out;
  }

  /** Signs {@code snap} next to it, binding {@code parentRoot} (null: no parent). */
  private static Statement sign(Path snap, SigningKey key, byte[] parentRoot) throws IOException {
    try (ByteSource src = FileByteSource.open(snap);
        FileChannel out =
            FileChannel.open(
                SignatureFile.siblingOf(snap),
                StandardOpenOption.CREATE,
                StandardOpenOption.TRUNCATE_EXISTING,
                StandardOpenOption.WRITE)) {
      Header h = Snapshot.readHeader(src);
      Signer.Binding binding =
          h.hasParent()
              ? new Signer.Binding(h.snapshotId(), h.parentId(), parentRoot)
              : new Signer.Binding(h.snapshotId(), SnapshotId.NONE, Statement.noRoot());
      return Signer.write(src, binding, key, 1L, out, done -> {});
    }
  }

  private static SnapshotChain chain(Path top, Trust trust) throws IOException {
    return SnapshotChain.open(
        top, List.of(), BlockCache.withCapacity(1 << 20), new ReadStats(), KeyRing.NONE, trust);
  }

  @Test
  void signedChainReadsWithTrustAndBindsTheParent() throws IOException {
    Path base = pack("base", v1, null);
    Path child = pack("child", v2, base);
    Statement parent = sign(base, KEY, null);
    sign(child, KEY, parent.root());
    try (SnapshotChain c = chain(child, Trust.of(List.of(KEY.publicKey())))) {
      assertArrayEquals(v2, Snapshots.readAll(c.top().stream(0)));
      assertEquals(2, c.members().size());
      assertEquals(KEY.id(), c.members().get(1).signature().orElseThrow().signer().id());
    }
  }

  @Test
  void unsignedMemberIsRefusedNamingTheMissingFile() throws IOException {
    Path base = pack("base", v1, null);
    Path child = pack("child", v2, base);
    sign(child, KEY, new byte[32]);
    UntrustedSnapshotException e =
        assertThrows(
            UntrustedSnapshotException.class,
            () -> chain(child, Trust.of(List.of(KEY.publicKey()))));
    assertEquals(
        base
            + ": not signed (no "
            + base
            + ".sig), and --trust requires a signature by key "
            + KEY.id(),
        e.getMessage());
  }

  @Test
  void childOverASubstitutedParentIsRefusedEvenIfThatParentIsValidlySigned() throws IOException {
    Path base = pack("base", v1, null);
    Path child = pack("child", v2, base);
    Statement parent = sign(base, KEY, null);
    sign(child, KEY, parent.root());
    // the same snapshot id with other bytes (one flipped in a block), signed by a trusted key
    byte[] forged = Files.readAllBytes(base);
    forged[forged.length / 2] ^= 1;
    Files.write(base, forged);
    sign(base, OTHER, null);
    Trust both = Trust.of(List.of(KEY.publicKey(), OTHER.publicKey()));
    try (SnapshotChain c = chain(base, both)) {
      assertEquals(OTHER.id(), c.top().signature().orElseThrow().signer().id());
    }
    UntrustedSnapshotException e =
        assertThrows(UntrustedSnapshotException.class, () -> chain(child, both));
    assertEquals(
        child
            + ": was signed over another copy of its parent than "
            + base
            + " (the parent's signed root differs): a substituted parent",
        e.getMessage());
  }

  @Test
  void withoutTrustSignaturesAreNotLookedAt() throws IOException {
    Path base = pack("base", v1, null);
    Files.write(SignatureFile.siblingOf(base), new byte[] {1, 2, 3});
    try (SnapshotChain c = chain(base, Trust.NONE)) {
      assertArrayEquals(v1, Snapshots.readAll(c.top().stream(0)));
      assertEquals(java.util.Optional.empty(), c.top().signature());
    }
  }
}
