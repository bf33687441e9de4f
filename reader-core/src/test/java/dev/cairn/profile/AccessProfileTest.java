package dev.cairn.profile;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cairn.error.CorruptSnapshotException;
import dev.cairn.error.UntrustedSnapshotException;
import dev.cairn.format.SnapshotId;
import dev.cairn.io.Crc;
import dev.cairn.sign.SigningKey;
import dev.cairn.sign.Trust;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.security.SecureRandom;
import java.util.List;
import org.junit.jupiter.api.Test;

class AccessProfileTest {
  private static final SigningKey KEY = SigningKey.generate(new SecureRandom());
  private static final SigningKey OTHER = SigningKey.generate(new SecureRandom());
  private static final SnapshotId ID = SnapshotId.parse("0123456789abcdef0123456789abcdef");
  private static final List<AccessProfile.Run> RUNS =
      List.of(
          new AccessProfile.Run(0, 100, 5),
          new AccessProfile.Run(1, 0, 1),
          new AccessProfile.Run(0, 3, 97));

  @Test
  void anUnsignedProfileHasTheDocumentedLayoutAndReadsBack() throws Exception {
    byte[] file = AccessProfile.of(ID, RUNS).encode();
    assertEquals(32 + 16 * 3 + 4, file.length);
    ByteBuffer b = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN);
    assertEquals("CAIRNPRF", new String(file, 0, 8, java.nio.charset.StandardCharsets.US_ASCII));
    assertEquals(1, b.getShort(8));
    assertEquals(0, b.getShort(10));
    assertEquals(3, b.getInt(12));
    assertArrayEquals(ID.toBytes(), java.util.Arrays.copyOfRange(file, 16, 32));
    assertEquals(1, file[32 + 16]); // second run: stream 1
    assertEquals(97, b.getInt(32 + 32 + 4));
    assertEquals(3L, b.getLong(32 + 32 + 8));
    assertEquals(Crc.of(b, 0, file.length - 4), b.getInt(file.length - 4));

    AccessProfile p = AccessProfile.read(file, "p");
    assertEquals(ID, p.snapshot());
    assertEquals(RUNS, p.runs());
    assertEquals(103, p.blocks());
    assertTrue(p.signer().isEmpty());
    assertSame(p, p.trusted(Trust.NONE, "p"));
  }

  @Test
  void aSignedProfileIsTrustedByItsSignersKeyOnly() throws Exception {
    byte[] file = AccessProfile.of(ID, RUNS).encodeSigned(KEY);
    assertEquals(32 + 16 * 3 + 4 + 96, file.length);
    AccessProfile p = AccessProfile.read(file, "p");
    assertEquals(KEY.publicKey(), p.signer().orElseThrow());
    assertSame(p, p.trusted(Trust.of(List.of(OTHER.publicKey(), KEY.publicKey())), "p"));
    UntrustedSnapshotException e =
        assertThrows(
            UntrustedSnapshotException.class,
            () -> p.trusted(Trust.of(List.of(OTHER.publicKey())), "p"));
    assertEquals("p: profile signed by key " + KEY.id() + ", which is not trusted", e.getMessage());
    AccessProfile unsigned = AccessProfile.read(AccessProfile.of(ID, RUNS).encode(), "u");
    assertEquals(
        "u: profile is not signed",
        assertThrows(
                UntrustedSnapshotException.class,
                () -> unsigned.trusted(Trust.of(List.of(KEY.publicKey())), "u"))
            .getMessage());
  }

  @Test
  void aSignedProfileChangedAndResealedDoesNotVerify() {
    byte[] file = AccessProfile.of(ID, RUNS).encodeSigned(KEY);
    ByteBuffer b = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN);
    b.putLong(32 + 8, 5_000_000L); // the first run now starts elsewhere
    int body = 32 + 16 * 3 + 4;
    b.putInt(body - 4, Crc.of(b, 0, body - 4));
    UntrustedSnapshotException e =
        assertThrows(UntrustedSnapshotException.class, () -> AccessProfile.read(file, "p"));
    assertEquals("p: profile signature by key " + KEY.id() + " does not verify", e.getMessage());
  }

  @Test
  void malformedFilesAreRefusedWithOneLine() {
    byte[] good = AccessProfile.of(ID, RUNS).encode();
    assertMalformed(new byte[10], "not a Cairn access profile");
    byte[] flipped = good.clone();
    flipped[40] ^= 1;
    assertMalformed(flipped, "access profile checksum mismatch (CRC32C)");
    assertMalformed(java.util.Arrays.copyOf(good, good.length - 1), "runs is 83 bytes long");
    byte[] version = good.clone();
    version[8] = 2;
    assertMalformed(version, "access profile version 2 unknown");
    byte[] huge = good.clone();
    ByteBuffer.wrap(huge).order(ByteOrder.LITTLE_ENDIAN).putInt(12, -1);
    assertMalformed(huge, "access profile of 4294967295 runs");
    byte[] badRun = good.clone();
    ByteBuffer rb = ByteBuffer.wrap(badRun).order(ByteOrder.LITTLE_ENDIAN);
    rb.putInt(32 + 4, 0); // a run of no blocks
    rb.putInt(badRun.length - 4, Crc.of(rb, 0, badRun.length - 4));
    assertMalformed(badRun, "access profile run 0 is malformed");
  }

  private static void assertMalformed(byte[] file, String message) {
    CorruptSnapshotException e =
        assertThrows(CorruptSnapshotException.class, () -> AccessProfile.read(file, "p"));
    assertTrue(e.getMessage().contains(message), e.getMessage());
  }

  @Test
  void theRecorderKeepsFirstReadOrderAndMergesSequentialReads() {
    ProfileRecorder r = new ProfileRecorder(ID, 12, 1 << 20, 10_000);
    r.record(0, 40 * 4096, 3 * 4096); // blocks 40..42
    r.record(0, 43 * 4096 + 100, 10); // 43: extends the run
    r.record(0, 0, 1); // 0
    r.record(0, 41 * 4096, 4096); // seen: nothing
    r.record(1, 9_999, 10); // stream 1, block 2 (clamped to its last block)
    r.record(0, 1 * 4096, 8192); // 1..2: extends the run of block 0
    r.record(0, 44 * 4096, 0); // nothing
    assertEquals(
        List.of(
            new AccessProfile.Run(0, 40, 4),
            new AccessProfile.Run(0, 0, 1),
            new AccessProfile.Run(1, 2, 1),
            new AccessProfile.Run(0, 1, 2)),
        r.profile().runs());
    assertEquals(ID, r.profile().snapshot());
  }

  @Test
  void aSequentialScanIsOneRun() {
    ProfileRecorder r = new ProfileRecorder(ID, 16, 1L << 30);
    for (long at = 0; at < 1L << 30; at += 1 << 20) {
      r.record(0, at, 1 << 20);
    }
    assertEquals(List.of(new AccessProfile.Run(0, 0, 16384)), r.profile().runs());
  }
}
