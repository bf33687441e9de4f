package dev.cairn.fuse;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class ReadAheadTest {
  @Test
  void splitsDeviceNumbersLikeGlibc() {
    // makedev(0, 52): a typical FUSE anonymous device
    assertEquals(0, ReadAhead.major(52));
    assertEquals(52, ReadAhead.minor(52));
    // makedev(259, 1): major above 255 and minor above 255 use the high bits
    long dev = ((259L & 0xfff) << 8) | (1L & 0xff) | ((300L & ~0xffL) << 12);
    assertEquals(259, ReadAhead.major(dev));
    assertEquals(300 & ~0xff | 1, ReadAhead.minor(dev));
  }
}
