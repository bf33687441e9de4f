/**
 * The FUSE mount of a snapshot (jnr-fuse 0.5.8 over libfuse 2.9): read-only, or with a writable
 * overlay. Owns the jnr-fuse adapter, the request loop, mount options and the files that record a
 * mount's state; must not know the snapshot format's bytes (it reads through {@code StreamReader}
 * and {@code OverlayImage}) nor parse command lines (that is {@code dev.cairn.cli}).
 *
 * <h2>What a mount shows</h2>
 *
 * {@link dev.cairn.fuse.CairnFs}: one file per stream, named as recorded in the snapshot, with the
 * snapshot's creation time (an overlay's writes and truncates move the primary stream's mtime);
 * {@code .cairn/stats.json} (live counters and mount facts, {@link dev.cairn.fuse.StatsReport}).
 * Owner, group and modes come from {@link dev.cairn.fuse.MountAccess} (the snapshot file's, or
 * {@code --uid/--gid/--mode}) and the kernel enforces them. Reads go through {@code StreamReader}
 * straight into the kernel's reply buffer; a damaged block fails that read with EIO, is counted,
 * and is logged through {@link dev.cairn.fuse.FailureLog} (once in full, repeats summarised), and
 * everything else stays readable. With an overlay, writes, truncates and fsyncs of the primary
 * stream go to {@code OverlayImage}.
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
 *       state file ({@link dev.cairn.fuse.MountState}) and the ready file; {@code cairn mount}
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
 * Under {@link dev.cairn.fuse.RuntimeDir} ({@code /var/tmp/cairn} for root, {@code
 * $CAIRN_RUNTIME_DIR} to override), named after a hash of the mount point: {@code mount-HASH.state}
 * (while mounted), {@code mount-HASH.ready} (handshake), {@code mount-HASH.log}; {@code
 * cds/serve-HASH.jsa}, the class-data-sharing archive serving JVMs start from.
 *
 * <h2>Mount options</h2>
 *
 * See {@link dev.cairn.fuse.MountOptions}: {@code
 * ro,auto_unmount,default_permissions,fsname=cairn:NAME,subtype=cairn,kernel_cache,big_writes} plus
 * {@code allow_other} when it is allowed (root, or {@code user_allow_other}).
 */
package dev.cairn.fuse;
