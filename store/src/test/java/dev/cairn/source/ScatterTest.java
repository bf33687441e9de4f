package dev.cairn.source;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

/** One response's bytes spread over the chunks' own buffers, and put back for another attempt. */
class ScatterTest {
  @Test
  void bytesFillTheBuffersInTurnAcrossTheirBoundaries() {
    byte[] a = new byte[3];
    byte[] b = new byte[4];
    byte[] c = new byte[2];
    Scatter s = new Scatter(ByteBuffer.wrap(a), ByteBuffer.wrap(b), ByteBuffer.wrap(c));
    assertEquals(9, s.remaining());
    s.put(ByteBuffer.wrap(new byte[] {1, 2}));
    s.put(ByteBuffer.wrap(new byte[] {3, 4, 5, 6, 7, 8}));
    assertEquals(1, s.remaining());
    s.put(new byte[] {0, 9, 0}, 1, 1);
    assertFalse(s.hasRemaining());
    assertArrayEquals(new byte[] {1, 2, 3}, a);
    assertArrayEquals(new byte[] {4, 5, 6, 7}, b);
    assertArrayEquals(new byte[] {8, 9}, c);
  }

  @Test
  void rewindPutsEveryBufferBackWhereItStarted() {
    ByteBuffer a = ByteBuffer.allocate(4).position(1);
    ByteBuffer b = ByteBuffer.allocate(2);
    Scatter s = new Scatter(a, b);
    s.put(ByteBuffer.wrap(new byte[] {1, 2, 3, 4}));
    assertEquals(1, s.remaining());
    s.rewind();
    assertEquals(5, s.remaining());
    assertEquals(1, a.position());
    assertEquals(0, b.position());
    s.put(ByteBuffer.wrap(new byte[] {5, 6, 7, 8, 9}));
    assertArrayEquals(new byte[] {0, 5, 6, 7}, a.array());
    assertArrayEquals(new byte[] {8, 9}, b.array());
  }
}
