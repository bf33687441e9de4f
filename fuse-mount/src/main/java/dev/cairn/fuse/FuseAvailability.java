package dev.cairn.fuse;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Checks, without loading anything, that a FUSE mount can work here: {@code /dev/fuse} exists,
 * {@code libfuse.so.2} is where the dynamic linker will find it, and {@code fusermount} is on the
 * {@code PATH}. Stateless.
 */
public final class FuseAvailability {
  public static final String NOT_AVAILABLE =
      "FUSE is not available: install the fuse and libfuse2 packages";

  static final String LIBRARY = "libfuse.so.2";

  private FuseAvailability() {}

  /** Empty if FUSE looks usable, else the one-line reason. */
  public static Optional<String> problem() {
    List<Path> libDirs = new ArrayList<>();
    addPathList(libDirs, System.getenv("LD_LIBRARY_PATH"));
    for (String d : new String[] {"/lib", "/usr/lib", "/lib64", "/usr/lib64", "/usr/local/lib"}) {
      Path dir = Path.of(d);
      libDirs.add(dir);
      addMultiarch(libDirs, dir);
    }
    List<Path> binDirs = new ArrayList<>();
    addPathList(binDirs, System.getenv("PATH"));
    binDirs.add(Path.of("/bin"));
    binDirs.add(Path.of("/usr/bin"));
    return problem(Path.of("/dev/fuse"), libDirs, Path.of("/etc/ld.so.cache"), binDirs);
  }

  static Optional<String> problem(
      Path devFuse, List<Path> libDirs, Path ldCache, List<Path> binDirs) {
    if (!Files.exists(devFuse)) {
      return Optional.of(NOT_AVAILABLE + " (" + devFuse + " is missing)");
    }
    if (!hasLibrary(libDirs, ldCache)) {
      return Optional.of(NOT_AVAILABLE + " (" + LIBRARY + " not found)");
    }
    if (findExecutable(binDirs, "fusermount").isEmpty()) {
      return Optional.of(NOT_AVAILABLE + " (fusermount not found on the PATH)");
    }
    return Optional.empty();
  }

  static boolean hasLibrary(List<Path> libDirs, Path ldCache) {
    for (Path d : libDirs) {
      if (Files.exists(d.resolve(LIBRARY))) {
        return true;
      }
    }
    try {
      if (Files.isRegularFile(ldCache)) {
        byte[] cache = Files.readAllBytes(ldCache);
        return indexOf(cache, (LIBRARY + "\0").getBytes(StandardCharsets.US_ASCII)) >= 0;
      }
    } catch (IOException e) {
      return false;
    }
    return false;
  }

  /** The first executable {@code name} in {@code dirs}. */
  public static Optional<Path> findExecutable(List<Path> dirs, String name) {
    for (Path d : dirs) {
      Path p = d.resolve(name);
      if (Files.isRegularFile(p) && Files.isExecutable(p)) {
        return Optional.of(p);
      }
    }
    return Optional.empty();
  }

  private static void addPathList(List<Path> out, String list) {
    if (list == null) {
      return;
    }
    for (String s : list.split(":")) {
      if (!s.isEmpty()) {
        out.add(Path.of(s));
      }
    }
  }

  private static void addMultiarch(List<Path> out, Path dir) {
    if (!Files.isDirectory(dir)) {
      return;
    }
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, "*-linux-gnu*")) {
      for (Path p : ds) {
        out.add(p);
      }
    } catch (IOException e) {
      // unreadable: the ld.so.cache check still applies
    }
  }

  private static int indexOf(byte[] hay, byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= hay.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (hay[i + j] != needle[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }
}
