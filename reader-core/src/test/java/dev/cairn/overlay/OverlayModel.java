package dev.cairn.overlay;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Arrays;

/** The bytes an overlay image should hold: a growable array and a size. */
final class OverlayModel {
  byte[] bytes;
  long size;

  OverlayModel(byte[] base) {
    bytes = base.clone();
    size = base.length;
  }

  OverlayModel copy() {
    OverlayModel m = new OverlayModel(new byte[0]);
    m.bytes = bytes.clone();
    m.size = size;
    return m;
  }

  private void ensure(long n) {
    if (n > bytes.length) {
      bytes = Arrays.copyOf(bytes, (int) Math.max(n, bytes.length * 3L / 2));
    }
  }

  void write(long offset, byte[] data) {
    ensure(offset + data.length);
    System.arraycopy(data, 0, bytes, (int) offset, data.length);
    size = Math.max(size, offset + data.length);
  }

  void truncate(long newSize) {
    ensure(newSize);
    if (newSize < size) {
      Arrays.fill(bytes, (int) newSize, (int) size, (byte) 0);
    }
    size = newSize;
  }

  byte[] range(long offset, int len) {
    return Arrays.copyOfRange(bytes, (int) offset, (int) offset + len);
  }

  /**
   * Reads {@code len} bytes at {@code off} through {@code reader} into a padded buffer, compares.
   */
  void checkRead(
      OverlayImage.Reader reader, long off, int len, boolean direct, int pad, String where)
      throws IOException {
    ByteBuffer dst =
        direct ? ByteBuffer.allocateDirect(len + 2 * pad) : ByteBuffer.allocate(len + 2 * pad);
    dst.position(pad).limit(pad + len);
    int n = reader.read(off, dst);
    int want = (int) Math.max(0, Math.min(len, size - off));
    assertEquals(want, n, where + ": read of " + len + " at " + off + ": count");
    assertEquals(pad + n, dst.position(), where + ": position");
    assertEquals(pad + len, dst.limit(), where + ": limit restored");
    byte[] got = new byte[n];
    dst.get(pad, got);
    if (n > 0) {
      assertArrayEquals(range(off, n), got, where + ": read of " + len + " at " + off);
    }
    dst.clear();
    for (int i = 0; i < pad; i++) {
      assertEquals(0, dst.get(i), where + ": wrote before position");
      assertEquals(0, dst.get(pad + len + i), where + ": wrote past limit");
    }
  }

  /** Reads the whole image in odd-sized pieces and compares. */
  void checkAll(OverlayImage.Reader reader, String where) throws IOException {
    assertEquals(size, sizeOf(reader), where + ": size");
    int piece = 12_345;
    for (long off = 0; off < size; off += piece) {
      checkRead(reader, off, piece, off % 2 == 0, 0, where);
    }
  }

  private long sizeOf(OverlayImage.Reader reader) throws IOException {
    // The read contract tells the size: a read at size returns 0, one byte before returns 1.
    if (size > 0) {
      assertEquals(1, reader.read(size - 1, ByteBuffer.allocate(4)), "last byte readable");
    }
    assertEquals(0, reader.read(size, ByteBuffer.allocate(4)), "nothing at the end");
    return size;
  }
}
