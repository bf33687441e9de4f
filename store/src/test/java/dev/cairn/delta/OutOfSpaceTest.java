package dev.cairn.delta;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cairn.error.OutOfSpaceException;
import dev.cairn.io.AtomicOutputFile;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Writes into a 1 MiB tmpfs (mounted as root) until it is full. */
class OutOfSpaceTest {
  private static final int CHUNK = 64 * 1024;

  @TempDir Path tmp;
  private Path small;

  @BeforeEach
  void mountSmallTmpfs() throws Exception {
    small = Files.createDirectory(tmp.resolve("small"));
    sh("mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", small.toString());
  }

  @AfterEach
  void unmount() throws Exception {
    sh("umount", small.toString());
  }

  @Test
  void aDeltaStoreWriteOnAFullFileSystemIsOutOfSpace() throws IOException {
    Path dir = Files.createDirectory(small.resolve("overlay"));
    Random r = new Random(1);
    IOException failure = null;
    try (DeltaStore s = DeltaStore.create(dir, CHUNK, 1, 64L * CHUNK, DeflateCompressor.INSTANCE)) {
      for (long c = 0; c < 64 && failure == null; c++) {
        byte[] b = new byte[CHUNK];
        r.nextBytes(b);
        try {
          s.write(c, ByteBuffer.wrap(b));
          s.fsync();
        } catch (IOException e) {
          failure = e;
        }
      }
    } catch (IOException closing) {
      // the store may also fail to close on a full file system; the write's failure is checked
    }
    assertNotNull(failure, "4 MiB of random chunks do not fit in 1 MiB");
    OutOfSpaceException o =
        assertInstanceOf(OutOfSpaceException.class, failure, failure.toString());
    assertTrue(o.getMessage().contains("No space left on device"), o.getMessage());
  }

  @Test
  void anAtomicOutputOnAFullFileSystemIsOutOfSpaceNamingTheTarget() throws IOException {
    Path out = small.resolve("out.cairn");
    IOException failure = null;
    try (AtomicOutputFile f = AtomicOutputFile.create(out)) {
      WritableByteChannel ch = f.channel();
      ByteBuffer b = ByteBuffer.allocate(CHUNK);
      for (int i = 0; i < 64 && failure == null; i++) {
        try {
          ch.write(b.clear());
        } catch (IOException e) {
          failure = e;
        }
      }
    }
    assertNotNull(failure, "4 MiB do not fit in 1 MiB");
    OutOfSpaceException o =
        assertInstanceOf(OutOfSpaceException.class, failure, failure.toString());
    assertEquals(out + ": No space left on device", o.getMessage());
  }

  private static void sh(String... cmd) throws Exception {
    Process p = new ProcessBuilder(cmd).inheritIO().start();
    assertTrue(p.waitFor(60, TimeUnit.SECONDS), String.join(" ", cmd));
    assertEquals(0, p.exitValue(), String.join(" ", cmd));
  }
}
