package dev.cairn.crypto;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The block digest against published known answers (FIPS 180 for SHA-256, the BLAKE3 team's test
 * vectors), each SHA-256 engine against the other, and the buffer semantics every engine shares.
 */
class BlockDigestTest {
  static final HexFormat HEX = HexFormat.of();

  static BlockDigest make(String engine) {
    return switch (engine) {
      case "openssl" -> BlockDigest.openSslSha256();
      case "jdk" -> BlockDigest.jdkSha256();
      case "bc" -> BlockDigest.of(BlockDigest.Algorithm.BLAKE3);
      default -> throw new IllegalArgumentException(engine);
    };
  }

  /** {@code bytes} as a heap or a direct buffer, positioned at 0. */
  static ByteBuffer buffer(byte[] bytes, boolean direct) {
    return direct
        ? ByteBuffer.allocateDirect(bytes.length).put(bytes).flip()
        : ByteBuffer.wrap(bytes);
  }

  @Test
  void libcryptoComputesSha256OnEveryMachineCairnIsBuiltOn() {
    // scripts/test installs it (Debian libssl3); without it a C1-only mount would hash slowly
    assertTrue(BlockDigest.nativeSha256Available(), "libcrypto failed to load or self-test");
    BlockDigest sha = BlockDigest.of(BlockDigest.Algorithm.SHA256);
    assertEquals("openssl", sha.implementation());
    assertTrue(OpenSslSha256.usesSha256Functions(), "SHA256_Init/Update/Final, not EVP_Digest");
    assertEquals(BlockDigest.Algorithm.SHA256, sha.algorithm());
    BlockDigest blake = BlockDigest.of(BlockDigest.Algorithm.BLAKE3);
    assertEquals("bc", blake.implementation());
    assertEquals(BlockDigest.Algorithm.BLAKE3, blake.algorithm());
  }

  /** FIPS 180-2 appendix B.1 and B.2, and the digest of the empty message. */
  @ParameterizedTest
  @CsvSource({
    "openssl,false",
    "openssl,true",
    "jdk,false",
    "jdk,true",
  })
  void sha256GivesTheFipsKnownAnswers(String engine, boolean direct) {
    BlockDigest d = make(engine);
    assertArrayEquals(
        HEX.parseHex("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        d.digest(buffer("abc".getBytes(StandardCharsets.US_ASCII), direct)));
    assertArrayEquals(
        HEX.parseHex("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        d.digest(buffer(new byte[0], direct)));
    byte[] bits448 =
        "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"
            .getBytes(StandardCharsets.US_ASCII);
    assertEquals(56, bits448.length);
    assertArrayEquals(
        HEX.parseHex("248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"),
        d.digest(buffer(bits448, direct)));
  }

  /**
   * The official BLAKE3 test vectors (input byte i is i mod 251), first 32 bytes of output: the
   * empty input, one byte, one whole 1024-byte chunk, and one byte into a second chunk.
   */
  @ParameterizedTest
  @CsvSource({
    "0,af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262",
    "1,2d3adedff11b61f14c886e35afa036736dcd87a74d27b5c1510225d0f592e213",
    "1024,42214739f095a406f3fc83deb889744ac00df831c10daa55189b5d121c855af7",
    "1025,d00278ae47eb27b34faecf67b4fe263f82d5412916c1ffd97c8cb7fb814b8444",
  })
  void blake3GivesTheOfficialKnownAnswers(int length, String expected) {
    byte[] input = new byte[length];
    for (int i = 0; i < length; i++) {
      input[i] = (byte) (i % 251);
    }
    BlockDigest d = make("bc");
    for (boolean direct : new boolean[] {false, true}) {
      assertArrayEquals(
          HEX.parseHex(expected), d.digest(buffer(input, direct)), "direct " + direct);
    }
  }

  @Test
  void bothSha256EnginesAgreeAtEverySizeFromHeapAndDirectBuffers() {
    BlockDigest ssl = make("openssl");
    BlockDigest jdk = make("jdk");
    Random r = new Random(7);
    List<Integer> sizes =
        new ArrayList<>(List.of(0, 1, 55, 56, 63, 64, 65, 4096, 65535, 65536, 65537, 70000));
    for (int i = 0; i < 40; i++) {
      sizes.add(r.nextInt(70001));
    }
    for (int size : sizes) {
      byte[] data = new byte[size];
      r.nextBytes(data);
      byte[] expected = jdk.digest(ByteBuffer.wrap(data));
      for (boolean direct : new boolean[] {false, true}) {
        assertArrayEquals(expected, ssl.digest(buffer(data, direct)), size + " direct " + direct);
        assertArrayEquals(expected, jdk.digest(buffer(data, direct)), size + " direct " + direct);
      }
    }
  }

  @Test
  void blake3GivesTheSameDigestFromHeapAndDirectBuffersAndDifferentDigestsForDifferentBytes() {
    BlockDigest d = make("bc");
    Random r = new Random(8);
    // sizes across the 16 KiB copy chunk of direct buffers and BLAKE3's 1 KiB chunks
    for (int size : new int[] {2, 1023, 16383, 16384, 16385, 65536, 70000}) {
      byte[] data = new byte[size];
      r.nextBytes(data);
      byte[] heap = d.digest(ByteBuffer.wrap(data));
      assertArrayEquals(heap, d.digest(buffer(data, true)), "size " + size);
      data[size / 2] ^= 1;
      assertFalse(Arrays.equals(heap, d.digest(buffer(data, true))), "size " + size);
    }
  }

  /** Hashes exactly position..limit, leaves the limit and bytes, and moves position to limit. */
  @ParameterizedTest
  @ValueSource(strings = {"openssl", "jdk", "bc"})
  void hashesTheRemainingBytesOnlyAndConsumesThem(String engine) {
    BlockDigest d = make(engine);
    byte[] data = new byte[3000];
    new Random(9).nextBytes(data);
    byte[] expected = d.digest(ByteBuffer.wrap(data, 100, 2000).slice());
    for (boolean direct : new boolean[] {false, true}) {
      for (boolean readOnly : new boolean[] {false, true}) {
        ByteBuffer b = buffer(data, direct);
        if (readOnly) {
          b = b.asReadOnlyBuffer();
        }
        b.position(100).limit(2100);
        byte[] out = new byte[40];
        Arrays.fill(out, (byte) 0x5a);
        d.digest(b, out, 3);
        String what = (direct ? "direct" : "heap") + (readOnly ? " read-only" : "");
        assertArrayEquals(expected, Arrays.copyOfRange(out, 3, 35), what);
        assertEquals(0x5a5a5a, (out[0] & 0xff) << 16 | (out[1] & 0xff) << 8 | (out[2] & 0xff));
        for (int i = 35; i < 40; i++) {
          assertEquals(0x5a, out[i] & 0xff, what + " byte " + i);
        }
        assertEquals(2100, b.position(), what);
        assertEquals(2100, b.limit(), what);
        byte[] after = new byte[data.length];
        b.duplicate().clear().get(after);
        assertArrayEquals(data, after, what);
      }
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"openssl", "jdk", "bc"})
  void refusesAnOutputWithoutRoomAndThenLeavesTheInputUntouched(String engine) {
    BlockDigest d = make(engine);
    ByteBuffer in = ByteBuffer.allocateDirect(10);
    assertThrows(IndexOutOfBoundsException.class, () -> d.digest(in, new byte[40], 9));
    assertThrows(IndexOutOfBoundsException.class, () -> d.digest(in, new byte[40], -1));
    assertThrows(IndexOutOfBoundsException.class, () -> d.digest(in, new byte[31], 0));
    assertEquals(0, in.position());
    // a refused call left nothing in the thread's state: the next digest is of these bytes alone
    byte[] next = d.digest(in);
    assertEquals(10, in.position());
    assertArrayEquals(d.digest(ByteBuffer.allocate(10)), next);
  }

  @ParameterizedTest
  @ValueSource(strings = {"openssl", "jdk", "bc"})
  void threadsHashingAtOnceEachGetTheirOwnDigest(String engine) throws Exception {
    BlockDigest d = make(engine);
    int tasks = 64;
    byte[][] inputs = new byte[tasks][];
    byte[][] expected = new byte[tasks][];
    Random r = new Random(10);
    for (int i = 0; i < tasks; i++) {
      inputs[i] = new byte[r.nextInt(70000)];
      r.nextBytes(inputs[i]);
      expected[i] = d.digest(ByteBuffer.wrap(inputs[i]));
    }
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      List<Future<byte[]>> results = new ArrayList<>();
      for (int i = 0; i < tasks; i++) {
        byte[] input = inputs[i];
        boolean direct = i % 2 == 0;
        results.add(pool.submit(() -> d.digest(buffer(input, direct))));
      }
      for (int i = 0; i < tasks; i++) {
        assertArrayEquals(expected[i], results.get(i).get(), "task " + i);
      }
    } finally {
      pool.shutdownNow();
    }
  }
}
