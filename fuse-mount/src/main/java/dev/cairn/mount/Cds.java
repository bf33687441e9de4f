package dev.cairn.mount;

import dev.cairn.config.Tuning;
import java.io.File;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Application class-data sharing for serving processes: a dynamic CDS archive of the classes a
 * serving JVM loads roughly halves its start-up, most of what {@code cairn mount} waits for.
 *
 * <p>JDK 17 cannot create the archive on the fly ({@code -XX:+AutoCreateSharedArchive} is JDK 19+),
 * so the first mount with a given jar and JVM starts, after it has returned, a detached training
 * run ({@link ServeMain} {@code --cds-train} under {@code -XX:ArchiveClassesAtExit}) that writes
 * the archive under a temporary name and renames it into place. Later mounts pass {@code
 * -XX:SharedArchiveFile}. The archive's name is a hash of the jar's path, size and mtime and of the
 * JVM, so a rebuilt jar or another JDK never meets a stale archive; the JVM also checks it itself
 * and, with {@code -Xshare:auto}, silently runs without one it cannot use.
 *
 * <p>Two archives per jar and JVM: one for a serving process that a mount of a local snapshot
 * starts, one for a process a remote mount starts, which also holds the HTTP and S3 clients'
 * classes (the AWS SDK's are 1,800; mapped, they take a first S3 mount from 1.25 s to 0.90 s at 50
 * ms per request). A serving process maps its archive whole into private memory (25 MB of 30 for
 * the remote one), so a server for local snapshots only does not carry the SDK.
 *
 * <p>Only a class path of exactly one jar qualifies (CDS refuses directories). Immutable.
 */
final class Cds {
  private static final Duration STALE_LOCK = Duration.ofMinutes(2);

  private final Path archive;

  private Cds(Path archive) {
    this.archive = archive;
  }

  /**
   * The archive for a serving process run from {@code classPath}, started by a mount of a remote
   * snapshot ({@code remote}) or of a local one.
   */
  static Cds forClassPath(String classPath, Path runtimeDir, boolean remote) {
    if (classPath == null
        || classPath.contains(File.pathSeparator)
        || !classPath.endsWith(".jar")
        || !Tuning.current().cds()) {
      return new Cds(null);
    }
    Path jar = Path.of(classPath).toAbsolutePath();
    try {
      String id =
          jar
              + "|"
              + Files.size(jar)
              + "|"
              + Files.getLastModifiedTime(jar).toMillis()
              + "|"
              + System.getProperty("java.home")
              + "|"
              + System.getProperty("java.vm.version")
              + (remote ? "|remote" : "");
      return new Cds(runtimeDir.resolve("cds").resolve("serve-" + RuntimeDir.hash(id) + ".jsa"));
    } catch (IOException e) {
      return new Cds(null);
    }
  }

  /** The archive, if it exists. */
  Optional<Path> usableArchive() {
    if (archive == null) {
      return Optional.empty();
    }
    try {
      return Files.isRegularFile(archive) && Files.size(archive) > 0
          ? Optional.of(archive)
          : Optional.empty();
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  /**
   * Starts the detached training run if there is no archive yet and no other run is under way.
   * Never fails the mount: any problem just means no archive. The run reads a local snapshot
   * itself; for a remote one it packs a small snapshot of its own instead (reading the user's would
   * spend their bandwidth and requests on a start-up artifact) and reads that over the loopback
   * interface as well ({@link RemoteTraining}).
   */
  void maybeTrain(ServeLauncher.Spec spec) {
    if (archive == null || usableArchive().isPresent()) {
      return;
    }
    String snap =
        dev.cairn.source.RemoteByteSource.isRemote(spec.snapshot()) ? "" : spec.snapshot();
    try {
      Path dir = Files.createDirectories(archive.getParent());
      Path lock = archive.resolveSibling(archive.getFileName() + ".training");
      if (Files.exists(lock)
          && Files.getLastModifiedTime(lock).toInstant().isAfter(Instant.now().minus(STALE_LOCK))) {
        return; // another mount is training
      }
      Files.deleteIfExists(lock);
      try {
        Files.write(lock, new byte[0], StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
      } catch (java.nio.file.FileAlreadyExistsException e) {
        return;
      }
      Files.setLastModifiedTime(lock, FileTime.from(Instant.now()));
      deleteOthers(dir);
      Path tmp = archive.resolveSibling(archive.getFileName() + ".tmp");
      // sh: train (the JVM writes the archive at exit), check that a JVM can map it (a damaged
      // archive can crash the JVM that maps it), and only then rename it into place
      String script =
          "tmp=$1 final=$2 lock=$3 snap=$4 java=$5; shift 5;"
              + " \"$java\" -XX:ArchiveClassesAtExit=\"$tmp\" \"$@\" --cds-train --snapshot=\"$snap\""
              + " >/dev/null 2>&1"
              + " && \"$java\" -Xshare:on -XX:SharedArchiveFile=\"$tmp\" \"$@\" --cds-check"
              + " >/dev/null 2>&1"
              + " && mv -f \"$tmp\" \"$final\";"
              + " rm -f \"$tmp\" \"$lock\"";
      List<String> cmd = new ArrayList<>();
      if (spec.setsid() != null) {
        cmd.add(spec.setsid());
      }
      cmd.addAll(
          List.of(
              "/bin/sh",
              "-c",
              script,
              "cairn-cds-train",
              tmp.toString(),
              archive.toString(),
              lock.toString(),
              snap,
              spec.java()));
      cmd.addAll(JvmOptions.of(spec.cacheSize(), null, false, false));
      cmd.add("-cp");
      cmd.add(spec.classPath());
      cmd.add(ServeMain.class.getName());
      DetachedProcess.start(cmd, Path.of("/dev/null"));
    } catch (IOException | RuntimeException e) {
      // no archive this time
    }
  }

  /** Keeps the two newest archives of other jars or JVMs (e.g. two checkouts), removes the rest. */
  private void deleteOthers(Path dir) {
    List<Path> others = new ArrayList<>();
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, "serve-*.jsa")) {
      for (Path p : ds) {
        if (!p.equals(archive)) {
          others.add(p);
        }
      }
      others.sort(
          (a, b) -> {
            try {
              return Files.getLastModifiedTime(b).compareTo(Files.getLastModifiedTime(a));
            } catch (IOException e) {
              return 0;
            }
          });
      for (Path p : others.subList(Math.min(2, others.size()), others.size())) {
        Files.deleteIfExists(p);
      }
    } catch (IOException | RuntimeException e) {
      // best effort
    }
  }

  /** Deletes the archive (it crashed a JVM); the next mount trains a new one. */
  void discard() {
    if (archive != null) {
      try {
        Files.deleteIfExists(archive);
      } catch (IOException e) {
        // the next mount tries again
      }
    }
  }

  Path archive() {
    return archive;
  }
}
