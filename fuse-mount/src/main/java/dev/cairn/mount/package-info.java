/**
 * The life of a mount: starting it, serving it, the protocol between {@code cairn} and the serving
 * process, and tearing it down. {@link dev.cairn.mount.ServeLauncher} checks a {@link
 * dev.cairn.mount.MountRequest} ({@code MountChecks}) and hands it to the user's serving process,
 * {@link dev.cairn.mount.MountDaemon} ({@code ServerClient} starts one when none answers), which
 * serves each of its mounts ({@code HostedMount}) with a {@link dev.cairn.mount.MountServer} on a
 * thread of its own, the next mount's file system object ready ahead ({@code FileSystemSpare}); a
 * mount that needs a process of its own goes to {@link dev.cairn.mount.ServeMain} instead, one
 * detached process running one {@code MountServer} (so does {@code cairn mount --foreground}, in
 * the calling process); {@code DetachedProcess} starts those processes and the server, {@code
 * Watchdogs} finds and retires each mount's {@code fusermount} watchdog. {@link
 * dev.cairn.mount.Unmounter} tears a mount down, {@link dev.cairn.mount.MountList} lists them. Also
 * owns where the files live ({@link dev.cairn.mount.RuntimeDir}, {@code ServerAddress}), the state
 * file that lets {@code cairn umount} and a second {@code cairn mount} find the serving process
 * ({@link dev.cairn.mount.MountState}), the cache budget the mounts of one process share ({@code
 * CacheBudget}), per-mount logs in a shared process ({@code ThreadLog}), the {@code fusermount}
 * watchdogs ({@code Watchdogs}), what a new server prepares while its first client connects ({@code
 * ServerWarmUp}), {@code --uid/--gid/--mode} ({@link dev.cairn.mount.AccessOptions}) and the
 * serving JVMs' class-data-sharing archive ({@code Cds}), the class path a JVM it starts gets
 * ({@link dev.cairn.mount.ClassPath}: the full jar, never the slim client's jar) and the JSON-line
 * messages between client and server ({@code JsonLine}, one line each way per connection). Must not
 * know the snapshot format or the FUSE callbacks (that is {@code dev.cairn.fuse}), nor picocli or
 * any other part of the command line ({@code dev.cairn.cli} calls this package, never the other way
 * round).
 *
 * <h2>Lifecycle</h2>
 *
 * <ol>
 *   <li>{@code cairn mount SNAP MNT} checks the snapshot's header, the mount point (existing, empty
 *       directory, nothing mounted), the overlay directory and FUSE ({@link
 *       dev.cairn.fuse.FuseAvailability}) — the checks that need the caller's working directory, so
 *       that their messages name the arguments as given — and sends the request, paths made
 *       absolute, to the server's socket.
 *   <li>No server answers (none yet, or a dead one's socket): under the start lock {@code cairn
 *       mount} asks once more, removes the stale socket and starts the server — the same jar,
 *       detached ({@code setsid}, stdin from /dev/null, output to the server log, working directory
 *       /), its heap sized for the cache budget — and waits until it listens. A server that is
 *       leaving closes the connection unanswered; the request is then sent again.
 *   <li>The server checks the caller's uid ({@code SO_PEERCRED}), then serves the mount on a thread
 *       of its own: it repeats the checks, opens the snapshot while another thread loads libfuse,
 *       and runs libfuse's request loop on threads of the mount's own ({@link
 *       dev.cairn.fuse.FuseSession}, {@link dev.cairn.fuse.FuseLoop}). Ready means: the {@code
 *       init} callback ran and {@code /proc/self/mountinfo} shows the mount. Then it writes the
 *       state file and answers {@code code 0}; {@code cairn mount} prints {@code mounted ... (log:
 *       ...)} and exits 0. A failing mount answers its exit code and its one line (written to the
 *       mount's log too), which {@code cairn mount} prints and returns as a process of its own
 *       would have; the server and its other mounts carry on.
 *   <li>{@code cairn umount MNT} asks the server, which runs {@code fusermount -u} (refusing a busy
 *       mount), waits for the mount's FUSE loop to end and its overlay and snapshot to close, and
 *       ends the mount's {@code auto_unmount} watchdog (libfuse keeps the watchdog's socket open as
 *       long as the process lives, and a lingering watchdog would unmount a later mount at the same
 *       path when the process exits). Without an answer it runs {@code fusermount -u} itself and
 *       waits for the state file to go. A mount in a process of its own: {@code fusermount -u},
 *       then wait for that process and its watchdog to exit.
 *   <li>The server leaves {@code CAIRN_SERVER_IDLE} seconds (default 60) after its last mount and
 *       request: it removes its socket first, then stops listening.
 *   <li>SIGTERM / SIGINT: each mount's shutdown hook unmounts it (lazily) and waits for its FUSE
 *       loop. {@code kill -9}: each mount's watchdog removes it; overlays keep what was fsynced.
 * </ol>
 *
 * <h2>Files</h2>
 *
 * Under {@link dev.cairn.mount.RuntimeDir} (0700; {@code /var/tmp/cairn} for root, {@code
 * $CAIRN_RUNTIME_DIR} to override): per mount, named after a hash of the mount point, {@code
 * mount-HASH.state} (while mounted; names the server's socket when a server serves it), {@code
 * mount-HASH.log}, and {@code mount-HASH.ready} (the handshake of a process of its own); per
 * server, named after a hash of what it was started with ({@code ServerAddress}), {@code
 * server-KEY.sock} (0600), {@code server-KEY.lock}, {@code server-KEY.log}; {@code
 * cds/serve-HASH.jsa}, the class-data-sharing archive serving JVMs start from.
 */
package dev.cairn.mount;
