package dev.cairn.delta;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cairn.io.Crc;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class LogRecordBufferTest {
  /** Splits framed records into payloads, checking each frame's length and CRC32C. */
  private static List<ByteBuffer> records(ByteBuffer framed) {
    List<ByteBuffer> out = new ArrayList<>();
    ByteBuffer b = framed.duplicate().order(framed.order());
    int p = b.position();
    while (p < b.limit()) {
      int n = b.getInt(p);
      assertTrue(n >= 1 && n <= ManifestLog.MAX_PAYLOAD, "payload length " + n);
      int to = p + ManifestLog.FRAME + n;
      assertEquals(Crc.of(b, p, p + 4, p + ManifestLog.FRAME, to), b.getInt(p + 4), "CRC32C");
      assertNull(ManifestLog.validate(b, p + ManifestLog.FRAME, to));
      out.add(b.slice(p + ManifestLog.FRAME, n).order(b.order()));
      p = to;
    }
    return out;
  }

  @Test
  void entriesAreFramedAsOneRecordWithTheDocumentedBytes() {
    LogRecordBuffer buf = new LogRecordBuffer();
    assertTrue(buf.isEmpty());
    buf.put(7, 0x1122334455667788L);
    buf.remove(9);
    buf.attribute(3, -2);
    assertFalse(buf.isEmpty());
    ByteBuffer taken = buf.take();
    assertTrue(buf.isEmpty());
    List<ByteBuffer> recs = records(taken);
    assertEquals(1, recs.size());
    ByteBuffer p = recs.get(0);
    assertEquals(
        ManifestLog.PUT_LENGTH + ManifestLog.REMOVE_LENGTH + ManifestLog.ATTRIBUTE_LENGTH,
        p.remaining());
    assertEquals(ManifestLog.PUT, p.get(0));
    assertEquals(7, p.getLong(1));
    assertEquals(0x1122334455667788L, p.getLong(9));
    assertEquals(ManifestLog.REMOVE, p.get(17));
    assertEquals(9, p.getLong(18));
    assertEquals(ManifestLog.ATTRIBUTE, p.get(26));
    assertEquals(3, p.get(27));
    assertEquals(-2, p.getLong(28));
  }

  @Test
  void aRecordNeverPassesTheMaximumPayload() {
    LogRecordBuffer buf = new LogRecordBuffer();
    int puts = 200_000;
    for (int i = 0; i < puts; i++) {
      buf.put(i, i);
    }
    List<ByteBuffer> recs = records(buf.take());
    int perRecord = ManifestLog.MAX_PAYLOAD / ManifestLog.PUT_LENGTH;
    assertEquals((puts + perRecord - 1) / perRecord, recs.size());
    assertEquals(perRecord * ManifestLog.PUT_LENGTH, recs.get(0).remaining());
  }

  @Test
  void requeuedRecordsGoBackInFrontOfWhatCameSince() {
    LogRecordBuffer buf = new LogRecordBuffer();
    buf.put(1, 10);
    ByteBuffer failed = buf.take();
    buf.put(2, 20); // an open record, shifted by the requeue
    buf.requeue(failed);
    buf.put(3, 30);
    List<ByteBuffer> recs = records(buf.take());
    assertEquals(2, recs.size());
    assertEquals(1, recs.get(0).getLong(1));
    assertEquals(2, recs.get(1).getLong(1));
    assertEquals(3, recs.get(1).getLong(1 + ManifestLog.PUT_LENGTH));
    assertEquals(2 * ManifestLog.PUT_LENGTH, recs.get(1).remaining());
  }
}
