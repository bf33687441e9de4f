/**
 * The {@code cairn} command line (picocli): one class per command, and the one place that turns a
 * command's failure into its one line on stderr and its exit code ({@code ErrorHandler}, over
 * {@code dev.cairn.error.ExitCode}). Owns flags, help, human and JSON output and where a command
 * writes; must not read or write snapshot bytes itself (it calls {@code dev.cairn.read}, {@code
 * dev.cairn.write}), nor talk to FUSE ({@code dev.cairn.fuse}), nor start, serve or stop a mount:
 * {@code mount}, {@code umount} and {@code mounts} hand their arguments to {@code dev.cairn.mount}.
 * The plain forms of those three bypass picocli ({@code FastPath}: building its command tree costs
 * more start-up than a mount handed to a running server); failures there are reported as {@code
 * ErrorHandler} reports them, and everything else falls through to the full parser.
 */
package dev.cairn.cli;
