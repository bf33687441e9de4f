/**
 * The FUSE mount of a snapshot (jnr-fuse 0.5.8 over libfuse 2.9): read-only, or with a writable
 * overlay. Owns the jnr-fuse adapter, the request loop, mount options and the kernel's mount table;
 * must not know the snapshot format's bytes (it reads through {@code StreamReader} and {@code
 * OverlayImage}), nor a mount's lifecycle ({@code dev.cairn.mount}), nor command lines ({@code
 * dev.cairn.cli}).
 *
 * <h2>What a mount shows</h2>
 *
 * {@link dev.cairn.fuse.CairnFs} dispatches libfuse's callbacks by path: one file per stream, named
 * as recorded in the snapshot, with the snapshot's creation time (an overlay's writes and truncates
 * move the primary stream's mtime); {@code .cairn/stats.json} (live counters and mount facts,
 * {@link dev.cairn.fuse.StatsReport}, served per open handle by {@code StatsFile}). Owner, group
 * and modes come from {@link dev.cairn.fuse.MountAccess} (the snapshot file's, or {@code
 * --uid/--gid/--mode}) and the kernel enforces them ({@code Attributes} fills {@code getattr} and
 * {@code statfs}). A read-only stream ({@code StreamFile}) reads through {@code StreamReader}
 * straight into the kernel's reply buffer ({@code KernelReads}, the one fill loop); a damaged block
 * fails that read with EIO, is counted, and is logged through {@link dev.cairn.fuse.FailureLog}
 * (once in full, repeats summarised), and everything else stays readable. With an overlay, reads,
 * writes, truncates and fsyncs of the primary stream go to {@code OverlayImage} ({@code
 * PrimaryStream}); failures map to errno in one place, {@code Errno}.
 *
 * <h2>Lifecycle</h2>
 *
 * Starting, recording and stopping a mount is {@code dev.cairn.mount}'s; this package gives it the
 * request loop ({@link dev.cairn.fuse.FuseSession}), the kernel's mount table ({@link
 * dev.cairn.fuse.MountTable}) and {@code fusermount} ({@link dev.cairn.fuse.Fusermount}).
 *
 * <h2>Mount options</h2>
 *
 * See {@link dev.cairn.fuse.MountOptions}: {@code
 * ro,auto_unmount,default_permissions,fsname=cairn:NAME,subtype=cairn,kernel_cache,big_writes} plus
 * {@code allow_other} when it is allowed (root, or {@code user_allow_other}).
 */
package dev.cairn.fuse;
