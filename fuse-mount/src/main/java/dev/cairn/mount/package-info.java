/**
 * The life of a mount: starting it, serving it, the handshake between the two processes, and
 * tearing it down. {@link dev.cairn.mount.ServeLauncher} checks a {@link
 * dev.cairn.mount.MountRequest} ({@code MountChecks}) and starts the detached serving process,
 * {@link dev.cairn.mount.ServeMain}, which runs a {@link dev.cairn.mount.MountServer} (so does
 * {@code cairn mount --foreground}, in its own process); {@link dev.cairn.mount.Unmounter} stops
 * it. Also owns where a mount's files live ({@link dev.cairn.mount.RuntimeDir}), the state file
 * that lets {@code cairn umount} and a second {@code cairn mount} find the serving process ({@link
 * dev.cairn.mount.MountState}), {@code --uid/--gid/--mode} ({@link dev.cairn.mount.AccessOptions})
 * and the serving JVMs' class-data-sharing archive ({@code Cds}). Must not know the snapshot format
 * or the FUSE callbacks (that is {@code dev.cairn.fuse}), nor picocli or any other part of the
 * command line ({@code dev.cairn.cli} calls this package, never the other way round).
 *
 * <h2>Lifecycle</h2>
 *
 * <ol>
 *   <li>{@code cairn mount SNAP MNT} checks the snapshot's header, the mount point (existing, empty
 *       directory, nothing mounted) and FUSE ({@link dev.cairn.fuse.FuseAvailability}), then starts
 *       the serving process: the same jar, detached ({@code setsid}, stdin from /dev/null, output
 *       to the log, working directory /).
 *   <li>The serving process repeats the checks, opens the snapshot while another thread loads
 *       libfuse, and runs libfuse's request loop on two threads of its own ({@link
 *       dev.cairn.fuse.FuseSession}, {@link dev.cairn.fuse.FuseLoop}). Ready means: the {@code
 *       init} callback ran and {@code /proc/self/mountinfo} shows the mount. Then it writes the
 *       state file ({@link dev.cairn.mount.MountState}) and the ready file; {@code cairn mount}
 *       prints {@code mounted ... (log: ...)} and exits 0. A failing serving process writes {@code
 *       error CODE} instead, after its one {@code cairn: ...} line in the log, which {@code cairn
 *       mount} repeats.
 *   <li>{@code cairn umount MNT} runs {@code fusermount -u} (refusing a busy mount), then waits for
 *       the serving process, and the fusermount watchdog, to exit.
 *   <li>SIGTERM / SIGINT: a shutdown hook unmounts (lazily) and waits for the FUSE loop. {@code
 *       kill -9}: {@code auto_unmount}'s fusermount watchdog removes the mount.
 * </ol>
 *
 * <h2>Files</h2>
 *
 * Under {@link dev.cairn.mount.RuntimeDir} ({@code /var/tmp/cairn} for root, {@code
 * $CAIRN_RUNTIME_DIR} to override), named after a hash of the mount point: {@code mount-HASH.state}
 * (while mounted), {@code mount-HASH.ready} (handshake), {@code mount-HASH.log}; {@code
 * cds/serve-HASH.jsa}, the class-data-sharing archive serving JVMs start from.
 */
package dev.cairn.mount;
