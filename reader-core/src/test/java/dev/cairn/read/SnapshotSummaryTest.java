package dev.cairn.read;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cairn.crypto.KeyRing;
import dev.cairn.error.CorruptSnapshotException;
import dev.cairn.error.MissingKeyException;
import dev.cairn.format.CodecType;
import dev.cairn.testing.Fixture;
import dev.cairn.testing.MemoryByteSource;
import dev.cairn.testing.Snapshots;
import java.io.IOException;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The header and footer of a snapshot, read without its key. */
class SnapshotSummaryTest {
  @Test
  void anEncryptedSnapshotIsSummarisedWithoutItsKeyAndMarkedUnverified() throws IOException {
    Snapshots.Written w = EncryptionTest.write(CodecType.LZ4, EncryptionTest.KEYS);
    MemoryByteSource source = new MemoryByteSource(w.file(), "s.cairn");
    assertThrows(MissingKeyException.class, () -> EncryptionTest.open(w.file(), KeyRing.NONE));
    SnapshotSummary s = SnapshotSummary.read(source);
    assertTrue(s.header().encryption().enabled());
    assertFalse(s.verified());
    assertEquals(List.of(Fixture.PRIMARY, Fixture.SECONDARY), s.header().streamNames());
    assertEquals(Fixture.primary().length, s.footer().streams().get(0).size());
    assertEquals(Fixture.secondary().length, s.footer().streams().get(1).size());
    assertEquals(w.file().length, s.fileSize());
    try (Snapshot opened = EncryptionTest.open(w.file(), EncryptionTest.KEYS)) {
      for (int i = 0; i < 2; i++) {
        assertEquals(
            opened.footer().streams().get(i).storedBytes(),
            s.footer().streams().get(i).storedBytes());
      }
      assertEquals(opened.dataStart(), s.dataStart());
    }
  }

  @Test
  void aPlainSnapshotsSummaryIsVerifiedAndDamageIsStillFound() throws IOException {
    Snapshots.Written w = Fixture.write(CodecType.ZSTD);
    SnapshotSummary s = SnapshotSummary.read(new MemoryByteSource(w.file(), "p.cairn"));
    assertTrue(s.verified());
    assertEquals(Fixture.primary().length, s.footer().streams().get(0).size());
    byte[] damaged = w.file().clone();
    damaged[(int) w.trailer().footerOffset() + 9] ^= 1;
    CorruptSnapshotException e =
        assertThrows(
            CorruptSnapshotException.class,
            () -> SnapshotSummary.read(new MemoryByteSource(damaged, "p.cairn")));
    assertEquals("p.cairn: corrupt snapshot: footer checksum mismatch", e.getMessage());
  }
}
