/**
 * The {@code cairn} command line (picocli): one class per command, and the one place that turns a
 * command's failure into its one line on stderr and its exit code ({@code ErrorHandler}, over
 * {@code dev.cairn.error.ExitCode}). Owns flags, help, human and JSON output and where a command
 * writes; must not read or write snapshot bytes itself (it calls {@code dev.cairn.read}, {@code
 * dev.cairn.write}), nor talk to FUSE ({@code dev.cairn.fuse}), nor start, serve or stop a mount:
 * {@code mount}, {@code umount} and {@code mounts} hand their arguments to {@code dev.cairn.mount}.
 * The plain forms of those three bypass picocli ({@code FastPath}: building its command tree costs
 * more start-up than a mount handed to a running server); failures there are reported as {@code
 * ErrorHandler} reports them, and everything else falls through to the full parser. {@code
 * ClientMain} is the entry of the slim client jar ({@code cairn-client.jar}: Cairn's classes, no
 * library) that scripts/launcher runs for those three: {@code FastPath}, else {@code Main} in the
 * same JVM, its libraries then loaded from {@code cairn.jar}; so nothing {@code FastPath} reaches
 * may need a library for a local snapshot. {@code fetch} and {@code cache} drive the remote disk
 * cache through {@code dev.cairn.source} ({@code ChunkCachingSource.warm}, {@code CacheFolder});
 * {@code RemoteOptions} turns {@code --max-connections} and {@code --max-bandwidth} into the
 * process's tuning, which a mount's serving process inherits.
 */
package dev.cairn.cli;
