package dev.cairn.fuse;

import static dev.cairn.fuse.MountSupport.cairn;
import static dev.cairn.fuse.MountSupport.cleanUp;
import static dev.cairn.fuse.MountSupport.mount;
import static dev.cairn.fuse.MountSupport.run;
import static dev.cairn.fuse.MountSupport.umount;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The ML engineer's story: a {@code .npy} tensor packed with a secondary file, mounted, and read by
 * numpy with {@code mmap_mode="r"} straight through the mount (Debian's python3-numpy, installed by
 * {@code scripts/test}).
 */
class TensorMountIT {
  private static final String PYTHON = "/usr/bin/python3";

  @TempDir Path dir;
  Path mnt;

  @AfterEach
  void tearDown() {
    cleanUp(mnt);
  }

  @Test
  void numpyReadsTheMountedTensorThroughMmap() throws Exception {
    MountSupport.requireFuse();
    Path tensor = dir.resolve("weights.npy");
    Path config = dir.resolve("config.json");
    // 32 MiB of float32 with a zeroed stretch, written by numpy itself.
    run(
            PYTHON,
            "-c",
            "import numpy as np\n"
                + "a = np.random.default_rng(7).standard_normal((2048, 4096), dtype=np.float32)\n"
                + "a[100:300] = 0\n"
                + "np.save('"
                + tensor
                + "', a)\n")
        .ok();
    Files.writeString(config, "{\"dtype\": \"float32\", \"shape\": [2048, 4096]}\n");
    Path snap = dir.resolve("weights.cairn");
    cairn(
            "pack",
            tensor.toString(),
            "-o",
            snap.toString(),
            "--secondary",
            config.toString(),
            "--codec",
            "zstd")
        .ok();
    mnt = Files.createDirectories(dir.resolve("mnt"));
    mount(snap, mnt);

    MountSupport.Run py =
        run(
                PYTHON,
                "-c",
                "import numpy as np, sys\n"
                    + "a = np.load('"
                    + tensor
                    + "')\n"
                    + "b = np.load('"
                    + mnt.resolve("weights.npy")
                    + "', mmap_mode='r')\n"
                    + "assert isinstance(b, np.memmap), type(b)\n"
                    + "print(b.shape, b.dtype, bool(np.array_equal(a, b)), float(b[1500, 17]) == float(a[1500, 17]))\n")
            .ok();
    assertEquals("(2048, 4096) float32 True True", py.out().strip());
    assertEquals(MountSupport.sha256(tensor), MountSupport.sha256(mnt.resolve("weights.npy")));
    assertArrayEquals(Files.readAllBytes(config), Files.readAllBytes(mnt.resolve("config.json")));
    umount(mnt);
  }
}
