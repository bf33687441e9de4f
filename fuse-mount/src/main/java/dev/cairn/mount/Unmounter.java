package dev.cairn.mount;

import dev.cairn.error.ExitCode;
import dev.cairn.error.UsageException;
import dev.cairn.fuse.Fusermount;
import dev.cairn.fuse.MountTable;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Tears a mount down ({@code cairn umount MOUNTPOINT}): unmounts a cairn mount and returns once its
 * serving process has exited. A busy mount is left alone (exit 1); something that is not a cairn
 * mount is a usage error (exit 2). Immutable (the mount point as given, for messages).
 */
public final class Unmounter {
  static final Duration EXIT_TIMEOUT = Duration.ofSeconds(30);

  private final String mountPoint;

  public Unmounter(String mountPoint) {
    this.mountPoint = mountPoint;
  }

  /** Unmounts and waits for the serving process; returns the exit code. */
  public int unmount() throws IOException {
    Path abs = Path.of(mountPoint).toAbsolutePath().normalize();
    Optional<MountTable.Entry> entry = MountTable.find(abs);
    Path mnt = abs;
    if (entry.isEmpty()) {
      try {
        Path real = abs.toRealPath();
        entry = MountTable.find(real);
        mnt = real;
      } catch (IOException e) {
        // missing, or a dead mount: reported below
      }
    }
    RuntimeDir dirs = RuntimeDir.forCurrentUser();
    Path stateFile = dirs.stateFile(mnt);
    Optional<MountState> state = MountState.read(stateFile);
    Optional<ProcessHandle> server = state.flatMap(MountState::liveProcess);
    if (entry.isEmpty()) {
      if (server.isPresent()) {
        // already unmounted (e.g. fusermount -u by hand): just wait for the process to finish
        awaitExit(server.get(), state.get(), stateFile);
        System.out.println("unmounted " + mnt);
        return ExitCode.OK;
      }
      if (!Files.exists(abs)) {
        throw new UsageException(mountPoint + ": no such directory");
      }
      throw new UsageException(mountPoint + ": not a cairn mount (nothing is mounted there)");
    }
    if (!entry.get().isCairn()) {
      throw new UsageException(
          mountPoint + ": not a cairn mount (it is a " + entry.get().fsType() + " mount)");
    }
    if (server.isPresent() && state.get().server() != null) {
      Optional<Integer> rc = viaServer(state.get().server(), mnt);
      if (rc.isPresent()) {
        return rc.get();
      }
    }
    if (server.isEmpty()) {
      server = findServer(mnt);
    }
    Fusermount.Result r = Fusermount.unmount(mnt, false);
    if (!r.ok()) {
      if (r.busy()) {
        throw new IOException(
            mountPoint
                + " is busy: close files using it (e.g. loop devices: losetup -d) and retry");
      }
      if (MountTable.find(mnt).isPresent()) {
        throw new IOException(mountPoint + ": " + r.message());
      }
    }
    if (server.isPresent()) {
      awaitExit(server.get(), state.orElse(null), stateFile);
    }
    System.out.println("unmounted " + mnt);
    return ExitCode.OK;
  }

  /**
   * Asks the serving process of many mounts ({@link MountDaemon}) to unmount {@code mnt} and wait
   * for its FUSE loop; empty if it cannot be asked (then {@code fusermount -u} here does it).
   */
  private Optional<Integer> viaServer(Path socket, Path mnt) throws IOException {
    Map<String, Object> request = new LinkedHashMap<>();
    request.put("op", "umount");
    request.put("mount_point", mnt.toString());
    Map<String, Object> response;
    try {
      response = ServerClient.call(socket, request);
    } catch (IOException e) {
      return Optional.empty();
    }
    if (Boolean.FALSE.equals(response.get("served"))) {
      return Optional.empty();
    }
    int code = ServerClient.code(response);
    if (code == ExitCode.OK) {
      System.out.println("unmounted " + mnt);
      return Optional.of(ExitCode.OK);
    }
    if (Boolean.TRUE.equals(response.get("busy"))) {
      throw new IOException(
          mountPoint + " is busy: close files using it (e.g. loop devices: losetup -d) and retry");
    }
    throw new IOException(mountPoint + ": " + ServerClient.message(response).orElse("failed"));
  }

  private void awaitExit(ProcessHandle server, MountState state, Path stateFile)
      throws IOException {
    if (state != null && state.server() != null) {
      // a process serving many mounts stays: this mount is gone once its state file is
      awaitStateGone(stateFile);
      return;
    }
    try {
      if (!MountState.awaitGone(server.pid(), EXIT_TIMEOUT.toMillis())) {
        throw new IOException(
            mountPoint
                + ": unmounted, but its serving process "
                + server.pid()
                + " did not exit within "
                + EXIT_TIMEOUT.toSeconds()
                + " s");
      }
      if (state != null && state.helperPid() > 0) {
        // the auto_unmount watchdog (fusermount) exits as soon as its parent is gone
        MountState.awaitGone(state.helperPid(), 5000);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted");
    }
  }

  private void awaitStateGone(Path stateFile) throws IOException {
    long deadline = System.nanoTime() + EXIT_TIMEOUT.toNanos();
    try {
      while (Files.exists(stateFile)) {
        if (System.nanoTime() > deadline) {
          throw new IOException(
              mountPoint
                  + ": unmounted, but its serving process did not finish it within "
                  + EXIT_TIMEOUT.toSeconds()
                  + " s");
        }
        Thread.sleep(10);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted");
    }
  }

  /** A serving process without a state file (other runtime dir): found by its command line. */
  private static Optional<ProcessHandle> findServer(Path mnt) {
    String m = mnt.toString();
    return ProcessHandle.allProcesses()
        .filter(
            h -> {
              List<String> args = h.info().arguments().map(List::of).orElse(List.of());
              if (h.pid() == ProcessHandle.current().pid()) {
                return false;
              }
              boolean detached =
                  args.contains(ServeMain.class.getName()) && args.contains("--mount-point=" + m);
              boolean foreground =
                  args.contains("mount")
                      && args.contains("--foreground")
                      && args.stream().anyMatch(x -> names(h, x, mnt));
              return detached || foreground;
            })
        .findFirst();
  }

  /** Whether argument {@code arg} of process {@code h} names {@code mnt} (relative to its cwd). */
  private static boolean names(ProcessHandle h, String arg, Path mnt) {
    if (arg.startsWith("-")) {
      return false;
    }
    Path p = Path.of(arg);
    if (!p.isAbsolute()) {
      try {
        p = Files.readSymbolicLink(Path.of("/proc", Long.toString(h.pid()), "cwd")).resolve(p);
      } catch (IOException | UnsupportedOperationException e) {
        return false;
      }
    }
    return p.normalize().equals(mnt);
  }
}
