package dev.cairn.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cairn.cli.PackCliIT.Run;
import dev.cairn.sign.KeyFiles;
import dev.cairn.sign.SigningKey;
import dev.cairn.sign.TrustedKey;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code cairn keygen} through the real jar: the two files and their modes, the key id it prints,
 * {@code --json}, and the refusals (exit 2, one line, nothing written).
 */
class KeygenIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String EXISTS =
      ": already exists (a key file is never overwritten; remove it or pick another name)\n";

  @TempDir Path dir;

  @Test
  void writesAPrivateKey0600AndAPublicKey0644AndPrintsTheKeyId() throws Exception {
    String name = dir.resolve("release").toString();
    Run r = PackCliIT.cairn("keygen", "-o", name).checkOk();
    assertEquals("", r.err());
    Matcher m =
        Pattern.compile(
                Pattern.quote("wrote " + name + ".key and " + name + ".pub (key id ")
                    + "([0-9a-f]{16})\\)\n")
            .matcher(r.outText());
    assertTrue(m.matches(), r.outText());
    Path key = dir.resolve("release.key");
    Path pub = dir.resolve("release.pub");
    assertEquals(List.of("release.key", "release.pub"), names());
    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(key)));
    assertEquals("rw-r--r--", PosixFilePermissions.toString(Files.getPosixFilePermissions(pub)));
    assertTrue(Files.readString(key).startsWith("-----BEGIN PRIVATE KEY-----\n"));
    assertTrue(Files.readString(pub).startsWith("-----BEGIN PUBLIC KEY-----\n"));
    SigningKey signing = KeyFiles.readPrivate(key);
    TrustedKey trusted = KeyFiles.readPublic(pub);
    assertEquals(trusted, signing.publicKey());
    assertEquals(m.group(1), trusted.id().hex());
    byte[] message = "signed".getBytes(StandardCharsets.UTF_8);
    assertTrue(trusted.verify(message, signing.sign(message)));
  }

  @Test
  void twoRunsMakeTwoDifferentKeys() throws Exception {
    PackCliIT.cairn("keygen", "-o", dir.resolve("a").toString()).checkOk();
    PackCliIT.cairn("keygen", "-o", dir.resolve("b").toString()).checkOk();
    assertTrue(
        !KeyFiles.readPublic(dir.resolve("a.pub"))
            .equals(KeyFiles.readPublic(dir.resolve("b.pub"))));
  }

  @Test
  void jsonGivesTheFilesAndTheKeyId() throws Exception {
    String name = dir.resolve("ci").toString();
    Run r = PackCliIT.cairn("keygen", "-o", name, "--json").checkOk();
    assertEquals("", r.err());
    String out = r.outText();
    assertTrue(out.endsWith("}\n") && out.indexOf('\n') == out.length() - 1, out);
    JsonNode n = JSON.readTree(out);
    assertEquals(name + ".key", n.get("private_key").asText());
    assertEquals(name + ".pub", n.get("public_key").asText());
    assertEquals("ed25519", n.get("algorithm").asText());
    assertEquals(KeyFiles.readPublic(dir.resolve("ci.pub")).id().hex(), n.get("key_id").asText());
    assertEquals(4, n.size());
  }

  @Test
  void refusesToOverwriteTheKeyOrThePublicKeyAndWritesNothing() throws Exception {
    String name = dir.resolve("release").toString();
    PackCliIT.cairn("keygen", "-o", name).checkOk();
    byte[] key = Files.readAllBytes(dir.resolve("release.key"));
    byte[] pub = Files.readAllBytes(dir.resolve("release.pub"));
    Run again = PackCliIT.cairn("keygen", "-o", name);
    assertEquals(2, again.exit(), again.err());
    assertEquals("cairn: " + name + ".key" + EXISTS, again.err());
    assertEquals(0, again.out().length);
    assertArrayEquals(key, Files.readAllBytes(dir.resolve("release.key")));
    assertArrayEquals(pub, Files.readAllBytes(dir.resolve("release.pub")));

    Files.delete(dir.resolve("release.key"));
    Run pubOnly = PackCliIT.cairn("keygen", "-o", name, "--json");
    assertEquals(2, pubOnly.exit(), pubOnly.err());
    assertEquals("cairn: " + name + ".pub" + EXISTS, pubOnly.err());
    assertEquals(List.of("release.pub"), names());
    assertArrayEquals(pub, Files.readAllBytes(dir.resolve("release.pub")));

    Files.delete(dir.resolve("release.pub"));
    Files.createSymbolicLink(dir.resolve("release.key"), dir.resolve("elsewhere"));
    Run link = PackCliIT.cairn("keygen", "-o", name);
    assertEquals(2, link.exit(), link.err());
    assertEquals("cairn: " + name + ".key" + EXISTS, link.err());
    assertEquals(List.of("release.key"), names());
  }

  @Test
  void badNamesAreUsageErrors() throws Exception {
    Path missing = dir.resolve("no/such/dir/k");
    Run r = PackCliIT.cairn("keygen", "-o", missing.toString());
    assertEquals(2, r.exit(), r.err());
    assertEquals(
        "cairn: " + missing + ".key: directory " + missing.getParent() + " does not exist\n",
        r.err());
    Run dash = PackCliIT.cairn("keygen", "-o", "-");
    assertEquals(2, dash.exit(), dash.err());
    assertEquals(
        "cairn: -o '-': give a NAME; keygen writes the files NAME.key and NAME.pub\n", dash.err());
    Run none = PackCliIT.cairn("keygen");
    assertEquals(2, none.exit(), none.err());
    assertEquals(
        "cairn: Missing required option: '--output=NAME' (see 'cairn keygen --help')\n",
        none.err());
    assertEquals(List.of(), names());
  }

  private List<String> names() throws IOException {
    try (var s = Files.list(dir)) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }
}
