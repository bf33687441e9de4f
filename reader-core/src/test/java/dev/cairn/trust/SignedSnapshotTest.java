package dev.cairn.trust;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cairn.error.CorruptSnapshotException;
import dev.cairn.error.UntrustedSnapshotException;
import dev.cairn.format.CodecType;
import dev.cairn.format.IndexPage;
import dev.cairn.format.SnapshotId;
import dev.cairn.read.BlockCache;
import dev.cairn.read.ReadStats;
import dev.cairn.read.Snapshot;
import dev.cairn.sign.SigningKey;
import dev.cairn.sign.Trust;
import dev.cairn.source.ByteSource;
import dev.cairn.source.FaultySource;
import dev.cairn.testing.Fixture;
import dev.cairn.testing.MemoryByteSource;
import dev.cairn.testing.MemoryChannel;
import dev.cairn.testing.Snapshots;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * A snapshot read through its signature ({@link SignatureCheck}, {@link VerifiedSource}): every
 * byte that matches is returned, every one that does not is refused with a message naming it, and
 * every way the signature file itself can be wrong is told apart.
 */
class SignedSnapshotTest {
  private static final SigningKey KEY = SigningKey.generate(new SecureRandom());
  private static final SigningKey OTHER = SigningKey.generate(new SecureRandom());
  private static final Trust TRUST = Trust.of(List.of(KEY.publicKey()));

  private final byte[] primary = Fixture.primary();
  private final Snapshots.Written written =
      Snapshots.write(
          Fixture.options(CodecType.NONE),
          List.of(Fixture.PRIMARY, Fixture.SECONDARY),
          primary,
          Fixture.secondary());

  /** The signature file of {@code file}'s bytes, bound to its own header. */
  private byte[] sign(byte[] file, SigningKey key) throws IOException {
    return sign(file, key, written.header().snapshotId());
  }

  private static byte[] sign(byte[] file, SigningKey key, SnapshotId id) throws IOException {
    MemoryChannel out = new MemoryChannel(1000);
    Signer.write(
        new MemoryByteSource(file, "snap"),
        new Signer.Binding(id, SnapshotId.NONE, Statement.noRoot()),
        key,
        1_700_000_000_000L,
        out,
        done -> {});
    return out.toByteArray();
  }

  private static VerifiedSource verified(byte[] file, byte[] sig, Trust trust) throws IOException {
    return SignatureCheck.open(
        new MemoryByteSource(file, "snap"), new MemoryByteSource(sig, "snap.sig"), trust);
  }

  private static Snapshot open(ByteSource source) throws IOException {
    return Snapshot.open(source, BlockCache.withCapacity(1 << 20), new ReadStats());
  }

  @Test
  void signedSnapshotReadsEveryByteThroughItsSignature() throws IOException {
    byte[] sig = sign(written.file(), KEY);
    try (Snapshot s = open(verified(written.file(), sig, TRUST))) {
      assertArrayEquals(primary, Snapshots.readAll(s.stream(0)));
      assertArrayEquals(Fixture.secondary(), Snapshots.readAll(s.stream(1)));
      Snapshots.checkRandomReads(s.stream(0), primary, 300, 7);
      assertEquals(KEY.id(), s.signature().orElseThrow().signer().id());
      assertEquals(written.file().length, s.signature().orElseThrow().statement().fileSize());
    }
  }

  @Test
  void signatureFileHasTheDocumentedSize() throws IOException {
    byte[] sig = sign(written.file(), KEY);
    long chunks = (written.file().length + 4095) / 4096;
    long pages = (chunks + 1023) / 1024;
    assertEquals(16 + 32 * chunks + 16 + 32 * pages + 232, sig.length);
    assertArrayEquals("CAIRNSIG".getBytes(), Arrays.copyOf(sig, 8));
    // deterministic: Ed25519 and the digests depend only on the bytes, key, binding and time
    assertArrayEquals(sig, sign(written.file(), KEY));
  }

  @Test
  void anyRangeReadsTheFileBytes() throws IOException {
    byte[] file = bigFile();
    byte[] sig = sign(file, KEY);
    Random r = new Random(3);
    try (VerifiedSource v = verified(file, sig, TRUST)) {
      for (int i = 0; i < 400; i++) {
        int len = i % 10 == 0 ? r.nextInt(3 << 20) : r.nextInt(70_000);
        int pos = r.nextInt(file.length - len + 1);
        ByteBuffer b = ByteBuffer.allocate(len);
        v.readFully(pos, b);
        assertArrayEquals(Arrays.copyOfRange(file, pos, pos + len), b.array(), "at " + pos);
      }
      ByteBuffer all = ByteBuffer.allocateDirect(file.length);
      v.readFully(0, all);
      byte[] got = new byte[file.length];
      all.flip().get(got);
      assertArrayEquals(file, got);
      assertThrows(
          java.io.EOFException.class, () -> v.readFully(file.length - 1, ByteBuffer.allocate(2)));
    }
  }

  @Test
  void aViewLendsCheckedBytesOncePerThreadAndSurvivesReadsMeanwhile() throws IOException {
    byte[] file = bigFile();
    byte[] sig = sign(file, KEY);
    try (VerifiedSource v = verified(file, sig, TRUST)) {
      int pos = 5_000_001;
      int len = 70_000;
      ByteBuffer view = v.view(pos, len);
      assertEquals(len, view.remaining());
      assertTrue(view.isReadOnly());
      assertEquals(null, v.view(0, 10), "one view per thread at a time");
      ByteBuffer other = ByteBuffer.allocate(100_000);
      v.readFully(pos - 20_000, other); // a read meanwhile leaves the view alone
      byte[] got = new byte[len];
      view.get(got);
      assertArrayEquals(Arrays.copyOfRange(file, pos, pos + len), got);
      v.release(view);
      assertEquals(null, v.view(0, 0), "no view of nothing");
      ByteBuffer again = v.view(file.length - 10, 10);
      byte[] tail = new byte[10];
      again.get(tail);
      assertArrayEquals(Arrays.copyOfRange(file, file.length - 10, file.length), tail);
      v.release(again);
    }
    byte[] forged = file.clone();
    forged[6_000_000] ^= 1;
    try (VerifiedSource v = verified(forged, sig, TRUST)) {
      CorruptSnapshotException e =
          assertThrows(CorruptSnapshotException.class, () -> v.view(5_999_000, 2000));
      assertTrue(e.getMessage().contains("bytes 5996544..6000640 do not match"), e.getMessage());
      assertTrue(v.view(0, 4096) != null, "a refused view is not lent");
    }
  }

  /**
   * A read that starts in the chunk the read before ended in takes that chunk from the checked copy
   * the source kept: it returns the signed bytes even when the file changed there meanwhile, and a
   * change anywhere else in it is still refused.
   */
  @Test
  void aSequentialReadReusesTheCheckedChunkItOverlapsAndNothingElse() throws IOException {
    byte[] file = bigFile();
    byte[] sig = sign(file, KEY);
    byte[] changing = file.clone();
    try (VerifiedSource v = verified(changing, sig, TRUST)) {
      ByteBuffer first = ByteBuffer.allocate(20_000);
      v.readFully(100_000, first); // chunks 24..29: 98304..122880, the last one kept
      changing[122_000] ^= 1; // in chunk 29, after it was checked
      ByteBuffer next = ByteBuffer.allocate(20_000);
      v.readFully(120_000, next);
      assertArrayEquals(Arrays.copyOfRange(file, 120_000, 140_000), next.array());
      changing[130_000] ^= 1; // in chunk 31, never checked
      assertThrows(
          CorruptSnapshotException.class,
          () -> v.readFully(130_000, ByteBuffer.allocate(100)),
          "chunk 31 is not a kept one: read and checked");
      CorruptSnapshotException e =
          assertThrows(
              CorruptSnapshotException.class,
              () -> v.readFully(122_880, ByteBuffer.allocate(20_000)));
      assertTrue(e.getMessage().contains("bytes 126976..131072 do not match"), e.getMessage());
    }
  }

  /** Arbitrary bytes not a multiple of the chunk size, spanning several digest pages. */
  private static byte[] bigFile() {
    byte[] file = new byte[9 * (1 << 20) + 1234];
    new Random(5).nextBytes(file);
    return file;
  }

  @Test
  void alteredBlockFailsOnlyTheReadsOfThatBlock() throws IOException {
    byte[] sig = sign(written.file(), KEY);
    byte[] forged = written.file().clone();
    IndexPage page = written.page(0, 0);
    int block = 3;
    int at = (int) page.offset(block) + 100;
    forged[at] ^= 1;
    try (Snapshot s = open(verified(forged, sig, TRUST))) {
      int bs = Fixture.BLOCK;
      CorruptSnapshotException e =
          assertThrows(
              CorruptSnapshotException.class,
              () -> s.stream(0).read((long) block * bs, ByteBuffer.allocate(10)));
      assertEquals(block, e.block());
      assertTrue(
          e.getMessage().contains("do not match their signed digest (SHA-256) in snap.sig"),
          e.getMessage());
      // the blocks around it are in other chunks (4 KiB blocks, stored raw at chunk offsets or
      // not): every block whose stored bytes do not share a chunk with the altered byte reads
      long chunk = at / 4096;
      for (int b = 0; b < page.count(); b++) {
        long first = page.offset(b) / 4096;
        long last = (page.offset(b) + page.storedLength(b) - 1) / 4096;
        if (page.storedLength(b) == 0 || (chunk >= first && chunk <= last)) {
          continue;
        }
        ByteBuffer got = ByteBuffer.allocate(bs);
        s.stream(0).read((long) b * bs, got);
        assertArrayEquals(
            Arrays.copyOfRange(primary, b * bs, b * bs + bs), got.array(), "block " + b);
      }
    }
  }

  @Test
  void alteredIndexPageFailsTheReadsOfItsBlocks() throws IOException {
    byte[] sig = sign(written.file(), KEY);
    byte[] forged = written.file().clone();
    int at = (int) written.pageOffset(0, 1) + 30;
    forged[at] ^= 1;
    try (Snapshot s = open(verified(forged, sig, TRUST))) {
      long first = written.header().entriesPerPage();
      CorruptSnapshotException e =
          assertThrows(
              CorruptSnapshotException.class,
              () -> s.stream(0).read(first * Fixture.BLOCK, ByteBuffer.allocate(10)));
      assertTrue(e.getMessage().contains("index page 1 of blocks " + first + ".."), e.getMessage());
      assertTrue(e.getMessage().contains("signed digest"), e.getMessage());
      ByteBuffer b = ByteBuffer.allocate(100);
      s.stream(0).read(0, b);
      assertArrayEquals(Arrays.copyOf(primary, 100), b.array());
    }
  }

  @Test
  void alteredHeaderOrFooterIsRefusedAtOpen() throws IOException {
    byte[] sig = sign(written.file(), KEY);
    // byte 33: the creation time; the id (16..31) is the next test's
    for (int at : new int[] {33, written.file().length - 60, written.file().length - 3}) {
      byte[] forged = written.file().clone();
      forged[at] ^= 1;
      CorruptSnapshotException e =
          assertThrows(CorruptSnapshotException.class, () -> open(verified(forged, sig, TRUST)));
      assertTrue(e.getMessage().contains("signed digest"), at + ": " + e.getMessage());
    }
  }

  @Test
  void signatureByAnotherKeyIsNotTrusted() throws IOException {
    byte[] sig = sign(written.file(), OTHER);
    UntrustedSnapshotException e =
        assertThrows(UntrustedSnapshotException.class, () -> verified(written.file(), sig, TRUST));
    assertEquals(
        "snap: signed by key " + OTHER.id() + ", which is not trusted (trusted: " + KEY.id() + ")",
        e.getMessage());
    // any of several trusted keys will do
    verified(written.file(), sig, Trust.of(List.of(KEY.publicKey(), OTHER.publicKey()))).close();
  }

  @Test
  void alteredStatementDoesNotVerify() throws IOException {
    byte[] sig = sign(written.file(), KEY);
    sig[sig.length - 1] ^= 1; // the signing time, inside the signed statement
    UntrustedSnapshotException e =
        assertThrows(UntrustedSnapshotException.class, () -> verified(written.file(), sig, TRUST));
    assertEquals(
        "snap: signature by key " + KEY.id() + " does not verify (snap.sig altered)",
        e.getMessage());
  }

  @Test
  void alteredTableDoesNotMatchTheSignedRoot() throws IOException {
    byte[] sig = sign(written.file(), KEY);
    sig[sig.length - 232 - 5] ^= 1; // the last page digest in the table
    UntrustedSnapshotException e =
        assertThrows(UntrustedSnapshotException.class, () -> verified(written.file(), sig, TRUST));
    assertEquals("snap: digest table in snap.sig does not match its signed root", e.getMessage());
  }

  @Test
  void alteredDigestPageFailsTheReadsItCovers() throws IOException {
    byte[] file = bigFile();
    byte[] sig = sign(file, KEY);
    sig[16 + 32 * 1024 + 7] ^= 1; // digest page 1: file bytes [4 MiB, 8 MiB)
    try (VerifiedSource v = verified(file, sig, TRUST)) {
      v.readFully(0, ByteBuffer.allocate(4 << 20));
      CorruptSnapshotException e =
          assertThrows(
              CorruptSnapshotException.class,
              () -> v.readFully((4 << 20) + 10, ByteBuffer.allocate(10)));
      assertEquals(
          "snap.sig: corrupt snapshot: digest page 1 does not match the signed table",
          e.getMessage());
      v.readFully(8 << 20, ByteBuffer.allocate(1000));
    }
  }

  @Test
  void signatureOfAnotherSizeIsRefused() throws IOException {
    byte[] sig = sign(written.file(), KEY);
    byte[] longer = Arrays.copyOf(written.file(), written.file().length + 1);
    UntrustedSnapshotException e =
        assertThrows(UntrustedSnapshotException.class, () -> verified(longer, sig, TRUST));
    assertEquals(
        "snap: is "
            + longer.length
            + " bytes, the signature is for "
            + written.file().length
            + " bytes: a different file",
        e.getMessage());
  }

  @Test
  void statementNamingAnotherSnapshotIsRefused() throws IOException {
    SnapshotId other = SnapshotId.random();
    byte[] sig = sign(written.file(), KEY, other);
    UntrustedSnapshotException e =
        assertThrows(
            UntrustedSnapshotException.class, () -> open(verified(written.file(), sig, TRUST)));
    assertEquals(
        "snap: its signature is for snapshot "
            + other
            + ", the file is "
            + written.header().snapshotId()
            + ": another snapshot in its place",
        e.getMessage());
  }

  @Test
  void malformedSignatureFilesAreRefusedWithOneLine() throws IOException {
    byte[] sig = sign(written.file(), KEY);
    assertMalformed(Arrays.copyOf(sig, 100), "snap.sig: not a Cairn signature file (100 bytes)");
    byte[] magic = sig.clone();
    magic[0] = 'X';
    assertMalformed(magic, "snap.sig: not a Cairn signature file (no CAIRNSIG magic)");
    byte[] version = sig.clone();
    version[8] = 2;
    assertMalformed(version, "snap.sig: signature file version 2 is not supported (this cairn: 1)");
    byte[] cut = Arrays.copyOfRange(sig, 0, sig.length - 32);
    UntrustedSnapshotException e =
        assertThrows(
            UntrustedSnapshotException.class,
            () -> SignatureFile.read(new MemoryByteSource(cut, "snap.sig")));
    assertTrue(e.getMessage().startsWith("snap.sig: "), e.getMessage());
    byte[] extra = Arrays.copyOf(sig, sig.length + 32);
    System.arraycopy(sig, sig.length - 232, extra, extra.length - 232, 232);
    System.arraycopy(sig, sig.length - 232 - 48, extra, extra.length - 232 - 48, 48);
    assertMalformed(
        extra, "snap.sig: is " + extra.length + " bytes long, its table says " + sig.length);
  }

  private static void assertMalformed(byte[] sig, String message) {
    UntrustedSnapshotException e =
        assertThrows(
            UntrustedSnapshotException.class,
            () -> SignatureFile.read(new MemoryByteSource(sig, "snap.sig")));
    assertEquals(message, e.getMessage());
  }

  /**
   * A verified snapshot keeps the checked stored bytes of the blocks it reads, in a share of the
   * block cache's budget: a block read again once its decoded copy is gone is neither read from the
   * file nor hashed again, and a file changed after the check cannot change what a read returns.
   */
  @Test
  void checkedStoredBytesAreKeptSoAFileChangedLaterChangesNoRead() throws IOException {
    Snapshots.Written lz4 = Fixture.write(CodecType.LZ4);
    byte[] file = lz4.file().clone();
    byte[] sig = sign(file, KEY, lz4.header().snapshotId());
    FaultySource counting = new FaultySource(new MemoryByteSource(file, "snap"));
    ReadStats stats = new ReadStats();
    int bs = Fixture.BLOCK;
    // a budget whose decoded part holds one 4 KiB block, and whose stored part holds them all
    try (Snapshot s =
        Snapshot.open(
            SignatureCheck.open(counting, new MemoryByteSource(sig, "snap.sig"), TRUST),
            BlockCache.withCapacity(64 << 10),
            stats)) {
      int blocks = (int) s.stream(0).blockCount();
      int afterFirst = 0;
      for (int pass = 0; pass < 2; pass++) {
        for (int b = 0; b < blocks; b++) {
          ByteBuffer got = ByteBuffer.allocate(100);
          long at = (long) b * bs + 10;
          int n = s.stream(0).read(at, got);
          assertArrayEquals(
              Arrays.copyOfRange(primary, (int) at, (int) at + n),
              Arrays.copyOf(got.array(), n),
              "pass " + pass + ", block " + b);
        }
        if (pass == 0) {
          afterFirst = counting.reads().size();
          // what a hostile writer of the file does once the blocks were checked
          for (int p = 0; p < lz4.footer().streams().get(0).pageOffsets().length; p++) {
            IndexPage page = lz4.page(0, p);
            for (int i = 0; i < page.count(); i++) {
              for (int k = 0; k < page.storedLength(i); k++) {
                file[(int) page.offset(i) + k] ^= 0x5A;
              }
            }
          }
        }
      }
      assertEquals(afterFirst, counting.reads().size(), "the second pass read the file");
      // 11 of the 15 blocks hold data; the decoded part of the budget holds one of them
      assertTrue(stats.snapshot().storedHits() >= 9, stats.snapshot().toString());
    }
  }

  /**
   * A verified snapshot decodes a block read in pieces in scratch memory; a block read again soon
   * (a file system reading a block's pages one after another) is cached decoded from then on.
   */
  @Test
  void aBlockReadAgainSoonIsCachedDecodedAndOneReadOnceIsNot() throws IOException {
    Snapshots.Written lz4 = Fixture.write(CodecType.LZ4);
    byte[] sig = sign(lz4.file(), KEY, lz4.header().snapshotId());
    ReadStats stats = new ReadStats();
    try (Snapshot s =
        Snapshot.open(verified(lz4.file(), sig, TRUST), BlockCache.withCapacity(1 << 20), stats)) {
      for (int piece = 0; piece < 4; piece++) {
        ByteBuffer got = ByteBuffer.allocate(100);
        int at = 1000 * piece; // block 0: text, stored compressed
        s.stream(0).read(at, got);
        assertArrayEquals(Arrays.copyOfRange(primary, at, at + 100), got.array(), "piece " + piece);
      }
      // piece 0: read, checked, kept, decoded in scratch; piece 1: read lately, so decoded from
      // the kept bytes into the cache; pieces 2 and 3: cache hits
      assertEquals(2, stats.snapshot().cacheHits(), stats.snapshot().toString());
      assertEquals(1, stats.snapshot().storedHits(), stats.snapshot().toString());
      assertEquals(2, stats.snapshot().blocksDecompressed(), stats.snapshot().toString());
    }
  }

  @Test
  void wrongBytesFromASourceThatCanFetchAgainAreFetchedOnceMore() throws IOException {
    byte[] file = bigFile();
    byte[] sig = sign(file, KEY);
    AtomicInteger invalidated = new AtomicInteger();
    byte[] poisoned = file.clone();
    poisoned[5000] ^= 1;
    ByteSource lying =
        new ByteSource() {
          @Override
          public long size() {
            return file.length;
          }

          @Override
          public void readFully(long position, ByteBuffer dst) {
            byte[] from = invalidated.get() == 0 ? poisoned : file;
            dst.put(from, (int) position, dst.remaining());
          }

          @Override
          public boolean invalidate(long position, int length) {
            invalidated.incrementAndGet();
            return true;
          }

          @Override
          public String describe() {
            return "lying";
          }

          @Override
          public void close() {}
        };
    try (VerifiedSource v =
        SignatureCheck.open(lying, new MemoryByteSource(sig, "lying.sig"), TRUST)) {
      ByteBuffer b = ByteBuffer.allocate(100);
      v.readFully(4990, b);
      assertArrayEquals(Arrays.copyOfRange(file, 4990, 5090), b.array());
      assertEquals(1, invalidated.get());
    }
  }
}
