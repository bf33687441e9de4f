package dev.cairn.fuse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Crafted snapshots through the real jar: a real snapshot whose header is patched (and its CRC
 * resealed, so only the field is wrong) to give both streams one name, or to say it is encrypted.
 * {@code cat}, {@code verify}, {@code info} and {@code mount} refuse it with one line on stderr and
 * exit 2, print nothing on stdout and mount nothing.
 */
class CraftedSnapshotIT {
  @TempDir Path dir;
  Path mnt;
  Path snap;

  @BeforeAll
  static void fuse() {
    MountSupport.requireFuse();
  }

  /** Streams "a.bin" (name at header bytes 122..126) and "b.bin" (at 129..133). */
  @BeforeEach
  void pack() throws Exception {
    byte[] a = new byte[300_000];
    new Random(6).nextBytes(a);
    Arrays.fill(a, 100_000, 200_000, (byte) 0);
    Files.write(dir.resolve("a.bin"), a);
    Files.writeString(dir.resolve("b.bin"), "notes\n".repeat(5000));
    snap = dir.resolve("snap.cairn");
    MountSupport.cairn(
            "pack",
            dir.resolve("a.bin").toString(),
            "--secondary",
            dir.resolve("b.bin").toString(),
            "-o",
            snap.toString())
        .ok();
    mnt = Files.createDirectory(dir.resolve("mnt"));
  }

  @AfterEach
  void tearDown() {
    MountSupport.cleanUp(mnt);
  }

  @Test
  void duplicateStreamNamesAreRefusedByEveryCommand() throws Exception {
    byte[] f = Files.readAllBytes(snap);
    assertEquals("b.bin", new String(f, 129, 5, StandardCharsets.UTF_8));
    f[129] = 'a';
    resealHeader(f);
    Files.write(snap, f);
    expectRefusedEverywhere("invalid snapshot: both streams are named 'a.bin'");
  }

  @Test
  void anEncryptedHeaderAskingForATebibyteOfArgon2MemoryIsRefusedByEveryCommand() throws Exception {
    byte[] f = Files.readAllBytes(snap);
    ByteBuffer b = ByteBuffer.wrap(f).order(ByteOrder.LITTLE_ENDIAN);
    b.putInt(48, b.getInt(48) | 2); // flags: encrypted
    f[80] = 1; // AES-256-GCM
    f[81] = 2; // Argon2id
    f[82] = 30; // 2^30 KiB: a reader must refuse before it allocates
    f[83] = 1;
    b.putInt(84, 3);
    Arrays.fill(f, 88, 120, (byte) 0x5A); // salt and key check
    resealHeader(f);
    Files.write(snap, f);
    expectRefusedEverywhere(
        "unsupported snapshot: Argon2id memory 2^30 KiB (this cairn accepts 8 MiB to 1 GiB)");
  }

  private void expectRefusedEverywhere(String what) throws Exception {
    String line = "cairn: " + snap + ": " + what;
    for (List<String> args :
        List.of(
            List.of("cat", snap.toString()),
            List.of("cat", snap.toString(), "--stream", "secondary"),
            List.of("verify", snap.toString()),
            List.of("info", snap.toString()),
            List.of("info", "--json", snap.toString()))) {
      MountSupport.Run r = MountSupport.cairn(args.toArray(String[]::new)).fails(2, what);
      assertEquals(line, r.err().strip(), String.join(" ", args));
      assertEquals("", r.out(), String.join(" ", args) + ": nothing on stdout");
    }
    MountSupport.Run m =
        MountSupport.cairn("mount", snap.toString(), mnt.toString()).fails(2, what);
    assertTrue(m.err().strip().endsWith(what), m.err());
    assertTrue(MountTable.find(mnt).isEmpty(), "nothing mounted");
    assertEquals(List.of(), MountSupport.servers(mnt), "no serving process left");
  }

  private static void resealHeader(byte[] f) {
    ByteBuffer b = ByteBuffer.wrap(f).order(ByteOrder.LITTLE_ENDIAN);
    int length = b.getInt(12);
    CRC32C crc = new CRC32C();
    crc.update(f, 0, length - 4);
    b.putInt(length - 4, (int) crc.getValue());
  }
}
