package dev.cairn.fuse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FuseAvailabilityTest {
  @TempDir Path tmp;

  private Path dev;
  private Path lib;
  private Path bin;
  private Path cache;

  private void setUp(boolean devFuse, boolean library, boolean fusermount) throws Exception {
    dev = tmp.resolve("fuse");
    lib = Files.createDirectories(tmp.resolve("lib"));
    bin = Files.createDirectories(tmp.resolve("bin"));
    cache = tmp.resolve("ld.so.cache");
    if (devFuse) {
      Files.writeString(dev, "");
    }
    if (library) {
      Files.writeString(lib.resolve("libfuse.so.2"), "");
    }
    if (fusermount) {
      Path f = Files.writeString(bin.resolve("fusermount"), "#!/bin/sh\n");
      Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rwxr-xr-x"));
    }
  }

  private Optional<String> check() {
    return FuseAvailability.problem(dev, List.of(lib), cache, List.of(bin));
  }

  @Test
  void allPresent() throws Exception {
    setUp(true, true, true);
    assertEquals(Optional.empty(), check());
  }

  @Test
  void eachMissingPieceIsNamed() throws Exception {
    setUp(false, true, true);
    assertTrue(check().orElseThrow().startsWith(FuseAvailability.NOT_AVAILABLE));
    assertTrue(check().orElseThrow().contains("is missing"));
    Files.writeString(dev, "");
    Files.delete(lib.resolve("libfuse.so.2"));
    assertTrue(check().orElseThrow().contains("libfuse.so.2 not found"));
    Files.delete(bin.resolve("fusermount"));
    Files.writeString(lib.resolve("libfuse.so.2"), "");
    assertTrue(check().orElseThrow().contains("fusermount"));
  }

  @Test
  void libraryFoundThroughLdSoCache() throws Exception {
    setUp(true, false, true);
    Files.write(cache, "ld.so-1.7.0\0libfuse.so.2\0/usr/lib/libfuse.so.2\0".getBytes());
    assertEquals(Optional.empty(), check());
  }

  @Test
  void nonExecutableIsNotFound() throws Exception {
    setUp(true, true, false);
    Files.writeString(bin.resolve("fusermount"), "");
    assertTrue(FuseAvailability.findExecutable(List.of(bin), "fusermount").isEmpty());
  }

  @Test
  void thisMachineHasFuse() {
    // CI installs fuse and libfuse2; a machine without them must fail here, not skip
    assertEquals(Optional.empty(), FuseAvailability.problem());
  }
}
