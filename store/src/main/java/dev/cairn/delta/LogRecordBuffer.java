package dev.cairn.delta;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.zip.CRC32C;

/**
 * Changes not yet taken by a sync, encoded as {@link ManifestLog} records: entries go into an open
 * record, which is closed (length and CRC32C filled in) when the next entry would push its payload
 * past {@link ManifestLog#MAX_PAYLOAD}, or when the records are taken. Keeps one taken buffer for
 * reuse, so that steady syncing allocates nothing.
 *
 * <p><b>Thread safety:</b> not thread-safe; the manifest guards it with its own lock.
 */
final class LogRecordBuffer {
  private static final int SPARE_LIMIT = 4 << 20;

  private final CRC32C crc = new CRC32C();
  private ByteBuffer pending = newBuffer(4096);
  private ByteBuffer spare;
  private int openRecord = -1;

  void put(long key, long value) {
    reserve(ManifestLog.PUT_LENGTH).put(ManifestLog.PUT).putLong(key).putLong(value);
  }

  void remove(long key) {
    reserve(ManifestLog.REMOVE_LENGTH).put(ManifestLog.REMOVE).putLong(key);
  }

  void attribute(int id, long value) {
    reserve(ManifestLog.ATTRIBUTE_LENGTH).put(ManifestLog.ATTRIBUTE).put((byte) id).putLong(value);
  }

  /** True if nothing was buffered since the last {@link #take()}. */
  boolean isEmpty() {
    return openRecord < 0 && pending.position() == 0;
  }

  /** Closes the open record and hands over everything buffered, ready to read. */
  ByteBuffer take() {
    if (openRecord >= 0) {
      closeRecord();
    }
    ByteBuffer taken = pending.flip();
    pending = spare != null ? spare : newBuffer(4096);
    spare = null;
    return taken;
  }

  /** Puts records that failed to reach the log back in front of what was buffered since. */
  void requeue(ByteBuffer records) {
    ByteBuffer merged = newBuffer(records.remaining() + pending.capacity());
    merged.put(records.duplicate());
    int shift = merged.position();
    merged.put(pending.flip());
    if (openRecord >= 0) {
      openRecord += shift;
    }
    pending = merged;
  }

  /** Takes back a buffer from {@link #take()} whose records are durable, for reuse. */
  void recycle(ByteBuffer records) {
    if (records.capacity() <= SPARE_LIMIT) {
      spare = records.clear();
    }
  }

  /** Room for one entry in the open record, starting a new record when this one is full. */
  private ByteBuffer reserve(int entryLength) {
    if (openRecord >= 0
        && pending.position() - openRecord - ManifestLog.FRAME + entryLength
            > ManifestLog.MAX_PAYLOAD) {
      closeRecord();
    }
    int need = entryLength + (openRecord < 0 ? ManifestLog.FRAME : 0);
    if (pending.remaining() < need) {
      ByteBuffer bigger = newBuffer(Math.max(pending.capacity() * 2, pending.position() + need));
      bigger.put(pending.flip());
      pending = bigger;
    }
    if (openRecord < 0) {
      openRecord = pending.position();
      pending.putLong(0);
    }
    return pending;
  }

  /** Fills in the open record's length and checksum. */
  private void closeRecord() {
    int start = openRecord;
    int end = pending.position();
    byte[] a = pending.array();
    int frame = ManifestLog.FRAME;
    pending.putInt(start, end - start - frame);
    crc.reset();
    crc.update(a, start, 4);
    crc.update(a, start + frame, end - start - frame);
    pending.putInt(start + 4, (int) crc.getValue());
    openRecord = -1;
  }

  static ByteBuffer newBuffer(int capacity) {
    return ByteBuffer.allocate(capacity).order(ByteOrder.LITTLE_ENDIAN);
  }
}
