package dev.cairn.read;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cairn.format.BlockEntry;
import dev.cairn.format.CodecType;
import dev.cairn.format.IndexPage;
import dev.cairn.testing.Fixture;
import dev.cairn.testing.Snapshots;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@link Verifier} on the damage fixture: it reports every bad block and page, and carries on. */
class VerifierTest {
  static final Snapshots.Written W = Fixture.write(CodecType.ZSTD);
  static final long TOTAL = Fixture.primary().length + (long) Fixture.secondary().length;
  static final long BLOCKS = 15 + 4;

  static Verifier.Report verify(byte[] f, List<Long> progress) throws IOException {
    try (Snapshot snap = Snapshots.open(f, "v.cairn")) {
      Verifier v = new Verifier(snap);
      assertEquals(TOTAL, v.totalBytes());
      return v.run(progress::add);
    }
  }

  @Test
  void cleanSnapshotChecksOut() throws IOException {
    List<Long> progress = new ArrayList<>();
    Verifier.Report r = verify(W.file(), progress);
    assertTrue(r.ok(), r.problems().toString());
    assertEquals(BLOCKS, r.blocksChecked());
    assertEquals(TOTAL, r.bytesChecked());
    assertMonotonicUpTo(progress, TOTAL);
  }

  @Test
  void everyDamagedBlockIsReportedAndTheRestChecked() throws IOException {
    byte[] f = W.file().clone();
    List<Long> bad = List.of(0L, 5L, 13L);
    for (long b : bad) {
      BlockEntry e = W.page(0, (int) (b / 4)).entry((int) (b % 4));
      assertTrue(e.kind().hasData());
      f[(int) e.offset() + 1] ^= 1;
    }
    Verifier.Report r = verify(f, new ArrayList<>());
    assertFalse(r.ok());
    assertEquals(3, r.problemCount());
    assertEquals(bad, r.problems().stream().map(Verifier.Problem::block).toList());
    assertTrue(r.problems().stream().allMatch(p -> p.stream().equals(Fixture.PRIMARY)));
    assertEquals(BLOCKS, r.blocksChecked());
    assertEquals(TOTAL, r.bytesChecked());
  }

  @Test
  void aWrongContentHashIsReported() throws IOException {
    byte[] f = W.file().clone();
    int page = (int) W.pageOffset(1, 0);
    f[page + IndexPage.HEADER_LENGTH + 40 + 24] ^= 1; // hash of secondary block 1
    Snapshots.resealPage(f, page, W.pageEntries(1, 0));
    Verifier.Report r = verify(f, new ArrayList<>());
    assertEquals(1, r.problemCount());
    assertEquals(Fixture.SECONDARY, r.problems().get(0).stream());
    assertEquals(1, r.problems().get(0).block());
    assertTrue(r.problems().get(0).message().contains("content hash"));
  }

  /** The last page holds the short last block: skipping it must not count a whole block. */
  @Test
  void aDamagedPageIsReportedOnceAndCountedExactly() throws IOException {
    List<Long> progress = new ArrayList<>();
    byte[] f = W.file().clone();
    int lastPage = W.footer().streams().get(0).pageOffsets().length - 1;
    f[(int) W.pageOffset(0, lastPage) + 10] ^= 1;
    f[(int) W.pageOffset(1, 0) + 10] ^= 1;
    Verifier.Report r = verify(f, progress);
    assertEquals(2, r.problemCount(), r.problems().toString());
    assertEquals(12, r.problems().get(0).block());
    assertEquals(0, r.problems().get(1).block());
    assertEquals(BLOCKS, r.blocksChecked());
    assertEquals(TOTAL, r.bytesChecked(), "bytes checked is the logical size, not whole blocks");
    assertMonotonicUpTo(progress, TOTAL);
  }

  static void assertMonotonicUpTo(List<Long> progress, long total) {
    for (int i = 1; i < progress.size(); i++) {
      assertTrue(progress.get(i) >= progress.get(i - 1), "progress " + progress);
    }
    assertEquals(total, progress.get(progress.size() - 1));
  }
}
