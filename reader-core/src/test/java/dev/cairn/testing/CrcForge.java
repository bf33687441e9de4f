package dev.cairn.testing;

/**
 * Forges a CRC32C: rewrites the last four bytes of a range so the range's checksum becomes any
 * value wanted. CRC32C is linear, so an attacker can always do this; the tests use it to show that
 * what stops a forged block is the AES-GCM tag, not the checksum.
 */
public final class CrcForge {
  private static final int POLY = 0x82F63B78;
  private static final int[] TABLE = new int[256];
  private static final int[] BY_TOP_BYTE = new int[256];

  static {
    for (int i = 0; i < 256; i++) {
      int c = i;
      for (int k = 0; k < 8; k++) {
        c = (c & 1) != 0 ? (c >>> 1) ^ POLY : c >>> 1;
      }
      TABLE[i] = c;
      BY_TOP_BYTE[c >>> 24] = i;
    }
  }

  private CrcForge() {}

  public static void forge(byte[] f, int from, int len, int want) {
    int state = ~0;
    for (int i = from; i < from + len - 4; i++) {
      state = (state >>> 8) ^ TABLE[(state ^ f[i]) & 0xFF];
    }
    // After four more bytes the register holds only what their table indices put there, so the
    // indices follow from the wanted register by peeling one top byte at a time.
    int target = ~want;
    int[] index = new int[4];
    for (int k = 3; k >= 0; k--) {
      index[k] = BY_TOP_BYTE[target >>> 24];
      target = (target ^ TABLE[index[k]]) << 8;
    }
    for (int k = 0; k < 4; k++) {
      byte b = (byte) ((state ^ index[k]) & 0xFF);
      f[from + len - 4 + k] = b;
      state = (state >>> 8) ^ TABLE[index[k]];
    }
  }
}
