package dev.cairn.sign;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Key files and signatures against the real {@code openssl} binary (Debian package {@code openssl},
 * which scripts/lib.sh installs): its keys work in Cairn and Cairn's keys work in it. Fails, never
 * skips, where openssl is missing.
 */
class OpensslInteropTest {
  @TempDir Path dir;

  @Test
  void aKeyMadeByOpensslIsReadAndItsSignaturesVerifyBothWays() throws Exception {
    Path key = dir.resolve("ossl.key");
    Path pub = dir.resolve("ossl.pub");
    openssl("genpkey", "-algorithm", "ed25519", "-out", key.toString());
    openssl("pkey", "-in", key.toString(), "-pubout", "-out", pub.toString());
    SigningKey signing = KeyFiles.readPrivate(key);
    TrustedKey trusted = KeyFiles.readPublic(pub);
    assertEquals(signing.publicKey(), trusted);
    // the same bytes as openssl's own files
    assertArrayEquals(Files.readAllBytes(key), KeyFiles.privatePem(signing));
    assertArrayEquals(Files.readAllBytes(pub), KeyFiles.publicPem(trusted));

    byte[] message = message();
    Path msg = Files.write(dir.resolve("msg"), message);
    Path sig = Files.write(dir.resolve("cairn.sig"), signing.sign(message));
    assertTrue(trusted.verify(message, Files.readAllBytes(sig)));
    String verified =
        openssl(
            "pkeyutl",
            "-verify",
            "-pubin",
            "-inkey",
            pub.toString(),
            "-rawin",
            "-in",
            msg.toString(),
            "-sigfile",
            sig.toString());
    assertEquals("Signature Verified Successfully", verified.strip());

    Path osslSig = dir.resolve("ossl.sig");
    openssl(
        "pkeyutl",
        "-sign",
        "-inkey",
        key.toString(),
        "-rawin",
        "-in",
        msg.toString(),
        "-out",
        osslSig.toString());
    // Ed25519 is deterministic: both sign the same message alike
    assertArrayEquals(signing.sign(message), Files.readAllBytes(osslSig));
    assertTrue(trusted.verify(message, Files.readAllBytes(osslSig)));
  }

  @Test
  void aKeyMadeByCairnIsReadByOpensslAndItsSignaturesVerifyInCairn() throws Exception {
    SigningKey signing = SigningKey.generate(new SecureRandom());
    Path key = dir.resolve("cairn.key");
    Path pub = dir.resolve("cairn.pub");
    KeyFiles.writePair(signing, key, pub);
    Path derived = dir.resolve("derived.pub");
    openssl("pkey", "-in", key.toString(), "-pubout", "-out", derived.toString());
    assertArrayEquals(Files.readAllBytes(pub), Files.readAllBytes(derived));
    String text = openssl("pkey", "-in", key.toString(), "-noout", "-text");
    assertTrue(text.startsWith("ED25519 Private-Key:"), text);

    byte[] message = message();
    Path msg = Files.write(dir.resolve("msg"), message);
    Path sig = dir.resolve("ossl.sig");
    openssl(
        "pkeyutl",
        "-sign",
        "-inkey",
        key.toString(),
        "-rawin",
        "-in",
        msg.toString(),
        "-out",
        sig.toString());
    byte[] signature = Files.readAllBytes(sig);
    assertEquals(TrustedKey.SIGNATURE_LENGTH, signature.length);
    TrustedKey trusted = KeyFiles.readPublic(pub);
    assertTrue(trusted.verify(message, signature));
    message[0] ^= 1;
    assertFalse(trusted.verify(message, signature));
    assertFalse(SigningKey.generate(new SecureRandom()).publicKey().verify(message, signature));
  }

  @Test
  void theKeyIdIsTheSha256OfTheDerOpensslWrites() throws Exception {
    SigningKey signing = SigningKey.generate(new SecureRandom());
    Path key = dir.resolve("k.key");
    Path pub = dir.resolve("k.pub");
    KeyFiles.writePair(signing, key, pub);
    Path der = dir.resolve("k.der");
    openssl("pkey", "-pubin", "-in", pub.toString(), "-outform", "DER", "-out", der.toString());
    byte[] digest = MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(der));
    assertEquals(HexFormat.of().formatHex(Arrays.copyOf(digest, 8)), signing.id().hex());
  }

  private static byte[] message() {
    byte[] m = new byte[4096 + 13];
    new SecureRandom().nextBytes(m);
    return m;
  }

  /** Runs openssl; asserts exit 0 and returns its standard output. */
  private String openssl(String... args) throws IOException, InterruptedException {
    List<String> cmd = new java.util.ArrayList<>();
    cmd.add("openssl");
    cmd.addAll(List.of(args));
    Path out = Files.createTempFile(dir, "out", ".txt");
    Path err = Files.createTempFile(dir, "err", ".txt");
    Process p =
        new ProcessBuilder(cmd)
            .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
            .redirectOutput(out.toFile())
            .redirectError(err.toFile())
            .start();
    assertTrue(p.waitFor(60, TimeUnit.SECONDS), "openssl finished");
    String stderr = Files.readString(err, StandardCharsets.UTF_8);
    assertEquals(0, p.exitValue(), String.join(" ", cmd) + "\n" + stderr);
    return Files.readString(out, StandardCharsets.UTF_8);
  }
}
