package dev.cairn.crypto;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * AES-256-GCM through the one wrapper Cairn uses, run against both engines behind it (libcrypto
 * through jnr-ffi, and the JDK's provider): one suite every implementation passes, and each opens
 * what the other sealed.
 */
class AeadTest {
  static final HexFormat HEX = HexFormat.of();

  static Aead make(String engine, byte[] key) {
    return engine.equals("jdk") ? Aead.jdk(key) : Aead.openSsl(key);
  }

  @Test
  void libcryptoIsThereOnEveryMachineCairnIsBuiltOn() {
    // scripts/test installs it (Debian libssl3); without it every mount would need C2 to decrypt
    assertTrue(Aead.nativeAvailable(), "libcrypto could not be loaded or failed its self-test");
    assertEquals("openssl", Aead.of(new byte[32]).implementation());
  }

  @Test
  void eachEngineOpensWhatTheOtherSealedAtEverySize() {
    byte[] key = new byte[32];
    new java.util.Random(3).nextBytes(key);
    Aead jdk = Aead.jdk(key);
    Aead ssl = Aead.openSsl(key);
    java.util.Random r = new java.util.Random(4);
    for (int size : new int[] {0, 1, 15, 16, 17, 1000, 4096, 65536, 65536 + 7}) {
      byte[] plain = new byte[size];
      r.nextBytes(plain);
      byte[] nonce = new byte[12];
      r.nextBytes(nonce);
      byte[] aad = new byte[r.nextInt(3000)];
      r.nextBytes(aad);
      // the JDK refuses to seal twice in a row under one nonce, so it seals once per size
      ByteBuffer b = ByteBuffer.allocate(size + 16);
      jdk.seal(nonce, aad, ByteBuffer.wrap(plain), b);
      b.flip();
      for (boolean direct : new boolean[] {false, true}) {
        ByteBuffer a =
            direct ? ByteBuffer.allocateDirect(size + 16) : ByteBuffer.allocate(size + 16);
        ByteBuffer in =
            direct ? ByteBuffer.allocateDirect(size).put(plain).flip() : ByteBuffer.wrap(plain);
        ssl.seal(nonce, aad, in, a);
        assertEquals(size + 16, a.position());
        assertEquals(b, a.flip(), "size " + size + (direct ? " direct" : " heap"));
        ByteBuffer back = direct ? ByteBuffer.allocateDirect(size) : ByteBuffer.allocate(size);
        assertTrue(jdk.open(nonce, aad, a.duplicate(), back));
        assertEquals(ByteBuffer.wrap(plain), back.flip());
        back.clear();
        assertTrue(ssl.open(nonce, aad, b.duplicate(), back));
        assertEquals(ByteBuffer.wrap(plain), back.flip());
      }
    }
  }

  /** Test case 16 of McGrew and Viega, "The Galois/Counter Mode of Operation" (AES-256, AAD). */
  @ParameterizedTest
  @ValueSource(strings = {"jdk", "openssl"})
  void sealsTheKnownAnswerOfTheGcmSpecification(String engine) {
    byte[] key = HEX.parseHex("feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308");
    byte[] nonce = HEX.parseHex("cafebabefacedbaddecaf888");
    byte[] plain =
        HEX.parseHex(
            "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
                + "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39");
    byte[] aad = HEX.parseHex("feedfacedeadbeeffeedfacedeadbeefabaddad2");
    String expected =
        "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
            + "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662"
            + "76fc6ece0f4e1768cddf8853bb2d551b";
    Aead a = make(engine, key);
    ByteBuffer out = ByteBuffer.allocate(plain.length + Aead.TAG_LENGTH);
    a.seal(nonce, aad, ByteBuffer.wrap(plain), out);
    assertEquals(expected, HEX.formatHex(out.array()));

    ByteBuffer back = ByteBuffer.allocateDirect(plain.length);
    assertTrue(a.open(nonce, aad, out.flip(), back));
    byte[] b = new byte[plain.length];
    back.flip().get(b);
    assertArrayEquals(plain, b);
  }

  @ParameterizedTest
  @ValueSource(strings = {"jdk", "openssl"})
  void anyChangedBitOfCiphertextTagNonceOrAadFailsToOpen(String engine) {
    Aead a = make(engine, new byte[32]);
    byte[] nonce = new byte[12];
    byte[] aad = "snapshot 1, block 7".getBytes();
    ByteBuffer sealed = ByteBuffer.allocate(100 + 16);
    a.seal(nonce, aad, ByteBuffer.wrap(new byte[100]), sealed);
    byte[] s = sealed.array();
    for (int i = 0; i < s.length; i++) {
      byte[] t = s.clone();
      t[i] ^= 1;
      assertFalse(a.open(nonce, aad, ByteBuffer.wrap(t), ByteBuffer.allocate(100)), "byte " + i);
    }
    byte[] otherNonce = nonce.clone();
    otherNonce[11] = 1;
    assertFalse(a.open(otherNonce, aad, ByteBuffer.wrap(s), ByteBuffer.allocate(100)));
    byte[] otherAad = Arrays.copyOf(aad, aad.length);
    otherAad[0] ^= 1;
    assertFalse(a.open(nonce, otherAad, ByteBuffer.wrap(s), ByteBuffer.allocate(100)));
    assertFalse(a.open(nonce, aad, ByteBuffer.wrap(s, 0, 15), ByteBuffer.allocate(100)));
    assertTrue(a.open(nonce, aad, ByteBuffer.wrap(s), ByteBuffer.allocate(100)));
  }

  @ParameterizedTest
  @ValueSource(strings = {"jdk", "openssl"})
  void aTagAuthenticatesAssociatedDataAlone(String engine) {
    Aead a = make(engine, new byte[32]);
    byte[] nonce = new byte[12];
    byte[] tag = a.tag(nonce, "header and footer".getBytes());
    assertEquals(16, tag.length);
    assertTrue(a.verifyTag(nonce, "header and footer".getBytes(), tag));
    assertFalse(a.verifyTag(nonce, "header and footEr".getBytes(), tag));
  }

  @Test
  void refusesWrongKeyAndNonceLengths() {
    assertThrows(IllegalArgumentException.class, () -> Aead.of(new byte[16]));
    Aead a = Aead.of(new byte[32]);
    assertThrows(
        IllegalArgumentException.class,
        () -> a.seal(new byte[16], new byte[0], ByteBuffer.allocate(1), ByteBuffer.allocate(17)));
  }
}
