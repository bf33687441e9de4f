package dev.cairn.mount;

import java.io.File;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The class path a JVM this one starts must get: this JVM's own, with every entry absolute (such a
 * process runs in /) and without the slim client jar ({@value #CLIENT_SUFFIX}). {@code cairn
 * mount}, {@code umount} and {@code mounts} start on {@code cairn-client.jar:cairn.jar} (the
 * project's classes first, so the 36 MB jar's directory is not read; see scripts/launcher); a
 * serving process, a training run or a full-JIT rerun needs only the full jar, and the serving
 * process's address ({@link ServerAddress#key}) must not depend on which way its client started.
 * Stateless.
 */
public final class ClassPath {
  /** How the client jar's file name ends (the full jar's name with this instead of ".jar"). */
  public static final String CLIENT_SUFFIX = "-client.jar";

  private ClassPath() {}

  /** This JVM's class path for a process it starts. */
  public static String forChild() {
    return forChild(System.getProperty("java.class.path", ""));
  }

  /**
   * {@code classPath} made absolute, the client jar left out (unless it is the only entry: then it
   * is not the slim client's jar, only a jar of that name).
   */
  static String forChild(String classPath) {
    List<String> all = new ArrayList<>();
    List<String> full = new ArrayList<>();
    for (String e : classPath.split(File.pathSeparator)) {
      if (e.isEmpty()) {
        continue;
      }
      String abs = Path.of(e).toAbsolutePath().normalize().toString();
      all.add(abs);
      if (!abs.endsWith(CLIENT_SUFFIX)) {
        full.add(abs);
      }
    }
    return String.join(File.pathSeparator, full.isEmpty() ? all : full);
  }
}
