package dev.cairn.sign;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cairn.error.UsageException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Key files, key ids, signing and verifying: {@link KeyFiles}, {@link SigningKey}, {@link
 * TrustedKey}.
 */
class KeyFilesTest {
  // RFC 8032, section 7.1, test 1
  static final String RFC_SECRET =
      "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
  static final String RFC_PUBLIC =
      "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";
  static final String RFC_EMPTY_SIGNATURE =
      "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b";
  static final String RFC_PRIVATE_PEM =
      "-----BEGIN PRIVATE KEY-----\n"
          + "MC4CAQAwBQYDK2VwBCIEIJ1hsZ3v/VpguoRK9JLsLMREScVpezJpGXA7rAMcrn9g\n"
          + "-----END PRIVATE KEY-----\n";
  static final String RFC_PUBLIC_PEM =
      "-----BEGIN PUBLIC KEY-----\n"
          + "MCowBQYDK2VwAyEA11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=\n"
          + "-----END PUBLIC KEY-----\n";

  @TempDir Path dir;

  @Test
  void theRfcKeyReadsWithItsPublicHalfItsSignatureAndAStableId() throws Exception {
    SigningKey key = KeyFiles.readPrivate(write("rfc.key", RFC_PRIVATE_PEM));
    assertEquals(RFC_PUBLIC, HexFormat.of().formatHex(key.publicKey().raw()));
    // SHA-256 over 302a300506032b6570032100 || public key, first 8 bytes
    assertEquals(new KeyId("06e3fd8fda29bb60"), key.id());
    assertEquals(RFC_EMPTY_SIGNATURE, HexFormat.of().formatHex(key.sign(new byte[0])));
    TrustedKey pub = KeyFiles.readPublic(write("rfc.pub", RFC_PUBLIC_PEM));
    assertEquals(key.publicKey(), pub);
    assertEquals("06e3fd8fda29bb60", pub.id().hex());
    assertTrue(pub.verify(new byte[0], HexFormat.of().parseHex(RFC_EMPTY_SIGNATURE)));
    assertEquals(RFC_PRIVATE_PEM, new String(KeyFiles.privatePem(key), StandardCharsets.US_ASCII));
    assertEquals(RFC_PUBLIC_PEM, new String(KeyFiles.publicPem(pub), StandardCharsets.US_ASCII));
  }

  @Test
  void aWrittenPairReadsBackAsTheSameKeyWithModes0600And0644() throws Exception {
    SigningKey key = SigningKey.generate(new SecureRandom());
    Path k = dir.resolve("release.key");
    Path p = dir.resolve("release.pub");
    KeyFiles.writePair(key, k, p);
    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(k)));
    assertEquals("rw-r--r--", PosixFilePermissions.toString(Files.getPosixFilePermissions(p)));
    assertEquals(List.of("release.key", "release.pub"), names());
    SigningKey back = KeyFiles.readPrivate(k);
    TrustedKey pub = KeyFiles.readPublic(p);
    assertEquals(key.publicKey(), back.publicKey());
    assertEquals(key.publicKey(), pub);
    assertEquals(key.id(), pub.id());
    assertArrayEquals(key.pkcs8(), back.pkcs8());
    assertArrayEquals(KeyFiles.privatePem(key), Files.readAllBytes(k));
    assertArrayEquals(KeyFiles.publicPem(pub), Files.readAllBytes(p));
    byte[] message = "a root to sign".getBytes(StandardCharsets.UTF_8);
    assertTrue(pub.verify(message, back.sign(message)));
  }

  @Test
  void writePairRefusesToOverwriteEitherFileAndWritesNothing() throws Exception {
    SigningKey key = SigningKey.generate(new SecureRandom());
    Path k = dir.resolve("a.key");
    Path p = dir.resolve("a.pub");
    Files.writeString(k, "mine");
    UsageException e = assertThrows(UsageException.class, () -> KeyFiles.writePair(key, k, p));
    assertEquals(
        k + ": already exists (a key file is never overwritten; remove it or pick another name)",
        e.getMessage());
    assertEquals(List.of("a.key"), names());
    assertEquals("mine", Files.readString(k));
    Files.delete(k);
    Files.writeString(p, "theirs");
    e = assertThrows(UsageException.class, () -> KeyFiles.writePair(key, k, p));
    assertEquals(
        p + ": already exists (a key file is never overwritten; remove it or pick another name)",
        e.getMessage());
    assertEquals(List.of("a.pub"), names());
    assertEquals("theirs", Files.readString(p));
  }

  @Test
  void signaturesVerifyOnlyUnderTheirKeyAndForTheirMessage() {
    SigningKey a = SigningKey.generate(new SecureRandom());
    SigningKey b = SigningKey.generate(new SecureRandom());
    assertNotEquals(a.id(), b.id());
    byte[] message = new byte[1000];
    new SecureRandom().nextBytes(message);
    byte[] sig = a.sign(message);
    assertEquals(TrustedKey.SIGNATURE_LENGTH, sig.length);
    assertTrue(a.publicKey().verify(message, sig));
    assertFalse(b.publicKey().verify(message, sig));
    assertFalse(b.publicKey().verify(message, b.sign(new byte[1])));
    byte[] changed = message.clone();
    changed[999] ^= 1;
    assertFalse(a.publicKey().verify(changed, sig));
    byte[] bent = sig.clone();
    bent[10] ^= 1;
    assertFalse(a.publicKey().verify(message, bent));
    assertFalse(a.publicKey().verify(message, java.util.Arrays.copyOf(sig, 63)));
    assertFalse(a.publicKey().verify(message, new byte[64]));
  }

  @Test
  void toStringShowsTheKeyIdAndNoKeyBytes() throws Exception {
    SigningKey key = KeyFiles.readPrivate(write("rfc.key", RFC_PRIVATE_PEM));
    assertEquals("Ed25519 signing key 06e3fd8fda29bb60", key.toString());
    assertEquals("Ed25519 public key 06e3fd8fda29bb60", key.publicKey().toString());
    assertEquals("06e3fd8fda29bb60", key.id().toString());
  }

  @Test
  void keyIdsAreSixteenLowerCaseHexDigits() {
    assertThrows(IllegalArgumentException.class, () -> new KeyId("06E3FD8FDA29BB60"));
    assertThrows(IllegalArgumentException.class, () -> new KeyId("06e3fd8fda29bb6"));
  }

  @Test
  void aMissingFileIsNamed() {
    Path f = dir.resolve("nope.key");
    assertPrivateRefused(f, f + ": no such key file");
    assertPublicRefused(f, f + ": no such key file");
  }

  @Test
  void aDirectoryIsNotAKeyFile() {
    assertPrivateRefused(dir, dir + ": not a regular file (a key file is a PEM text file)");
  }

  @Test
  void aHugeFileIsRefusedBeforeReading() throws Exception {
    Path f = dir.resolve("big.key");
    Files.write(f, new byte[KeyFiles.MAX_SIZE + 1]);
    assertPrivateRefused(
        f, f + ": 65537 bytes, too large for a PEM key file (an Ed25519 key is ~120)");
  }

  @Test
  void textThatIsNotPemIsRefused() throws Exception {
    Path raw = Files.write(dir.resolve("raw.key"), HexFormat.of().parseHex(RFC_SECRET));
    assertPrivateRefused(raw, raw + ": not a PEM key file (expected -----BEGIN PRIVATE KEY-----)");
    Path empty = Files.write(dir.resolve("empty.pub"), new byte[0]);
    assertPublicRefused(
        empty, empty + ": not a PEM key file (expected -----BEGIN PUBLIC KEY-----)");
    Path cut = write("cut.key", RFC_PRIVATE_PEM.substring(0, 60));
    assertPrivateRefused(cut, cut + ": not a PEM key file (expected -----BEGIN PRIVATE KEY-----)");
  }

  @Test
  void thePublicHalfWhereThePrivateOneIsExpectedAndTheReverse() throws Exception {
    Path pub = write("k.pub", RFC_PUBLIC_PEM);
    assertPrivateRefused(
        pub,
        pub + ": holds a public key; signing needs the private key (the .key file of the pair)");
    Path priv = write("k.key", RFC_PRIVATE_PEM);
    assertPublicRefused(
        priv,
        priv
            + ": holds a private key; give the public key (the .pub file of the pair, or 'openssl"
            + " pkey -in "
            + priv
            + " -pubout')");
  }

  @Test
  void otherAlgorithmsAreNamed() throws Exception {
    var rsa = KeyPairGenerator.getInstance("RSA");
    rsa.initialize(1024);
    var rsaPair = rsa.generateKeyPair();
    String make = " (make one with 'cairn keygen -o NAME' or 'openssl genpkey -algorithm ed25519')";
    Path rsaKey = write("rsa.key", pem("PRIVATE KEY", rsaPair.getPrivate().getEncoded()));
    assertPrivateRefused(rsaKey, rsaKey + ": an RSA key, not Ed25519" + make);
    Path rsaPub = write("rsa.pub", pem("PUBLIC KEY", rsaPair.getPublic().getEncoded()));
    assertPublicRefused(rsaPub, rsaPub + ": an RSA key, not Ed25519" + make);
    var ed448 = KeyPairGenerator.getInstance("Ed448").generateKeyPair();
    Path edKey = write("ed448.key", pem("PRIVATE KEY", ed448.getPrivate().getEncoded()));
    assertPrivateRefused(edKey, edKey + ": an Ed448 key, not Ed25519" + make);
    var ec = KeyPairGenerator.getInstance("EC").generateKeyPair();
    Path ecPub = write("ec.pub", pem("PUBLIC KEY", ec.getPublic().getEncoded()));
    assertPublicRefused(ecPub, ecPub + ": an EC key, not Ed25519" + make);
    Path traditional = write("rsa1.key", pem("RSA PRIVATE KEY", new byte[] {1, 2, 3}));
    assertPrivateRefused(traditional, traditional + ": an RSA key, not Ed25519" + make);
    Path ssh = write("id_ed25519", pem("OPENSSH PRIVATE KEY", new byte[] {1, 2, 3}));
    assertPrivateRefused(ssh, ssh + ": an OpenSSH private key, not PEM PKCS#8" + make);
    Path cert = write("cert.pub", pem("CERTIFICATE", new byte[] {1, 2, 3}));
    assertPublicRefused(
        cert, cert + ": a PEM 'CERTIFICATE', not -----BEGIN PUBLIC KEY-----" + make);
  }

  @Test
  void anEncryptedPrivateKeyAsksForThePlainOne() throws Exception {
    Path f = write("enc.key", pem("ENCRYPTED PRIVATE KEY", new byte[] {1, 2, 3}));
    assertPrivateRefused(
        f,
        f
            + ": an encrypted private key; give it unencrypted (openssl pkey -in "
            + f
            + " -out PLAIN.key)");
  }

  @Test
  void aDamagedBodyIsRefused() throws Exception {
    Path key = write("bad.key", pem("PRIVATE KEY", new byte[] {0x30, 0x03, 1, 2}));
    assertPrivateRefused(
        key, key + ": damaged key (the PEM body is not an Ed25519 PKCS#8 private key)");
    Path pub = write("bad.pub", pem("PUBLIC KEY", new byte[] {7, 7, 7}));
    assertPublicRefused(
        pub,
        pub + ": damaged key (the PEM body is not an Ed25519 SubjectPublicKeyInfo public key)");
    // the right algorithm but 31 key bytes
    byte[] spki =
        HexFormat.of().parseHex("3029300506032b65700320" + "00" + RFC_PUBLIC.substring(2));
    Path short31 = write("short.pub", pem("PUBLIC KEY", spki));
    assertPublicRefused(
        short31,
        short31 + ": damaged key (the PEM body is not an Ed25519 SubjectPublicKeyInfo public key)");
  }

  private String pem(String type, byte[] der) {
    return "-----BEGIN "
        + type
        + "-----\n"
        + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der)
        + "\n-----END "
        + type
        + "-----\n";
  }

  private Path write(String name, String text) throws IOException {
    return Files.writeString(dir.resolve(name), text, StandardCharsets.US_ASCII);
  }

  private List<String> names() throws IOException {
    try (var s = Files.list(dir)) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  private static void assertPrivateRefused(Path f, String message) {
    assertRefused(f, message, p -> KeyFiles.readPrivate(p));
  }

  private static void assertPublicRefused(Path f, String message) {
    assertRefused(f, message, p -> KeyFiles.readPublic(p));
  }

  private interface Reader {
    Object read(Path p) throws UsageException;
  }

  private static void assertRefused(Path f, String message, Reader reader) {
    UsageException e = assertThrows(UsageException.class, () -> reader.read(f));
    assertEquals(message, e.getMessage());
  }
}
