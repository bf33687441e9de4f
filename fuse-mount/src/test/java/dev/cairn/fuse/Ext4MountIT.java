package dev.cairn.fuse;

import static dev.cairn.fuse.MountSupport.cairn;
import static dev.cairn.fuse.MountSupport.cleanUp;
import static dev.cairn.fuse.MountSupport.mount;
import static dev.cairn.fuse.MountSupport.run;
import static dev.cairn.fuse.MountSupport.sha256;
import static dev.cairn.fuse.MountSupport.umount;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeSet;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The product's main story on a real, reproducible ext4 image: pack it, mount the snapshot, {@code
 * e2fsck} the virtual file, loop-mount it read-only and compare every file inside with the source
 * tree; and hammer the virtual file from eight threads for 30 s.
 */
class Ext4MountIT {
  @TempDir static Path shared;
  static Path image;
  static Path snap;

  /** sha256 of every regular file, by path relative to the file system root. */
  static Map<String, String> manifest;

  @TempDir Path dir;
  Path mnt;
  Path fs;

  @BeforeAll
  static void buildImageAndPack() throws Exception {
    MountSupport.requireFuse();
    image = shared.resolve("test-ext4.img");
    Path script = MountSupport.repoRoot().resolve("testimages/make-ext4.sh");
    if (Files.isExecutable(script)) {
      run(script.toString(), image.toString()).ok();
      manifest = new LinkedHashMap<>();
      for (String line : Files.readAllLines(Path.of(image + ".sha256"))) {
        manifest.put(line.substring(66), line.substring(0, 64));
      }
    } else {
      manifest = buildInline(image);
    }
    assertTrue(manifest.size() > 5, "manifest lists the image's files");
    snap = shared.resolve("ext4.cairn");
    cairn("pack", image.toString(), "-o", snap.toString()).ok();
  }

  /** Without the test-image script: a tree of real files in an ext4 image via mkfs.ext4 -d. */
  private static Map<String, String> buildInline(Path img) throws Exception {
    Path tree = Files.createDirectories(shared.resolve("tree"));
    Path lic = Files.createDirectories(tree.resolve("licenses"));
    try (Stream<Path> s = Files.list(Path.of("/usr/share/common-licenses"))) {
      for (Path p : s.filter(Files::isRegularFile).toList()) {
        Files.copy(p, lic.resolve(p.getFileName()));
      }
    }
    Files.createDirectories(tree.resolve("bin"));
    Files.copy(Path.of("/bin/ls"), tree.resolve("bin/ls"));
    byte[] rnd = new byte[3 << 20];
    new Random(1).nextBytes(rnd);
    Files.createDirectories(tree.resolve("data"));
    Files.write(tree.resolve("data/random.bin"), rnd);
    Files.write(tree.resolve("data/zeros.bin"), new byte[2 << 20]);
    run("mkfs.ext4", "-q", "-F", "-d", tree.toString(), img.toString(), "24M").ok();
    Map<String, String> m = new LinkedHashMap<>();
    try (Stream<Path> s = Files.walk(tree)) {
      for (Path p : s.filter(Files::isRegularFile).sorted().toList()) {
        m.put(tree.relativize(p).toString(), sha256(p));
      }
    }
    return m;
  }

  @AfterEach
  void tearDown() {
    cleanUp(mnt, fs == null ? new Path[0] : new Path[] {fs});
  }

  @Test
  void fsckLoopMountAndCompareEveryFile() throws Exception {
    mnt = Files.createDirectory(dir.resolve("mnt"));
    fs = Files.createDirectory(dir.resolve("fs"));
    mount(snap, mnt);
    Path virtual = mnt.resolve(image.getFileName());
    assertEquals(Files.size(image), Files.size(virtual));

    MountSupport.Run fsck = run("e2fsck", "-fn", virtual.toString());
    assertEquals(0, fsck.exit(), "e2fsck through the mount:\n" + fsck.out() + fsck.err());

    run("mount", "-o", "loop,ro", virtual.toString(), fs.toString()).ok();
    TreeSet<String> found = new TreeSet<>();
    try (Stream<Path> s = Files.walk(fs)) {
      for (Path p :
          s.filter(p -> Files.isRegularFile(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)).toList()) {
        String rel = fs.relativize(p).toString();
        if (!rel.startsWith("lost+found")) {
          found.add(rel);
        }
      }
    }
    assertEquals(new TreeSet<>(manifest.keySet()), found, "the same regular files");
    for (Map.Entry<String, String> e : manifest.entrySet()) {
      assertEquals(e.getValue(), sha256(fs.resolve(e.getKey())), e.getKey());
    }

    // busy: the loop device holds the virtual file open
    cairn("umount", mnt.toString()).fails(1, "is busy");
    assertTrue(MountTable.find(mnt).isPresent(), "a busy mount stays mounted");

    run("umount", fs.toString()).ok();
    fs = null;
    awaitLoopDetached(virtual);
    umount(mnt);
  }

  /** mount -o loop sets autoclear; the loop device goes away just after the umount. */
  private static void awaitLoopDetached(Path backing) throws Exception {
    String out = "";
    for (int i = 0; i < 500; i++) {
      out = run("losetup", "-j", backing.toString()).out();
      if (out.isBlank()) {
        return;
      }
      Thread.sleep(20);
    }
    fail("the loop device of " + backing + " is still attached 10 s after umount: " + out);
  }

  @Test
  void eightThreadsReadRandomRangesForThirtySeconds() throws Exception {
    mnt = Files.createDirectory(dir.resolve("mnt"));
    // a small block cache, and the page cache dropped every second: reads keep reaching the
    // serving threads and blocks keep being evicted and decompressed again under concurrency
    mount(snap, mnt, "--cache-size", "4M");
    Path virtual = mnt.resolve(image.getFileName());
    byte[] original = Files.readAllBytes(image);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    ExecutorService pool = Executors.newFixedThreadPool(9);
    try (FileChannel ch = FileChannel.open(virtual)) {
      Future<?> dropper =
          pool.submit(
              () -> {
                while (System.nanoTime() < deadline) {
                  Files.writeString(Path.of("/proc/sys/vm/drop_caches"), "1");
                  Thread.sleep(1000);
                }
                return null;
              });
      List<Future<Long>> results = new ArrayList<>();
      for (int t = 0; t < 8; t++) {
        long seed = 100 + t;
        results.add(
            pool.submit(
                () -> {
                  Random r = new Random(seed);
                  long bytes = 0;
                  for (int i = 0; System.nanoTime() < deadline; i++) {
                    int len = 1 + r.nextInt(i % 4 == 0 ? 300_000 : 5_000);
                    int off = r.nextInt(original.length);
                    ByteBuffer b = ByteBuffer.allocate(len);
                    int n = 0;
                    while (b.hasRemaining()) {
                      int k = ch.read(b, off + n);
                      if (k < 0) {
                        break;
                      }
                      n += k;
                    }
                    int want = Math.min(len, original.length - off);
                    assertEquals(want, n, "read at " + off + "+" + len);
                    assertArrayEquals(
                        Arrays.copyOfRange(original, off, off + want),
                        Arrays.copyOf(b.array(), n),
                        "bytes at " + off + "+" + len);
                    bytes += n;
                  }
                  return bytes;
                }));
      }
      for (Future<Long> f : results) {
        assertTrue(f.get() > 0);
      }
      dropper.get();
    } finally {
      pool.shutdownNow();
    }
    JsonNode st = new ObjectMapper().readTree(Files.readAllBytes(mnt.resolve(".cairn/stats.json")));
    assertEquals(0, st.get("errors").asLong(), st.toString());
    assertTrue(st.get("blocks_decompressed").asLong() > 1000, st.toString());
    assertEquals(sha256(image), sha256(virtual));
    umount(mnt);
  }
}
