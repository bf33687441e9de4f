/**
 * Cairn's own failures, one sealed hierarchy under {@link dev.cairn.error.CairnException}: corrupt
 * snapshot or store, missing parent, unsupported version or snapshot, not a snapshot, overlay in
 * use, closed, out of space, remote unavailable, source changed, not a regular file, no
 * credentials, missing or wrong key, and any other bad argument ({@link
 * dev.cairn.error.UsageException}). Every module throws these; {@link dev.cairn.error.ExitCode}
 * maps them (and the JDK's file errors) to the exit codes and one-line messages of the command line
 * and of a mount's serving process, and the FUSE layer maps them to errno, each in one place. Knows
 * nothing of snapshots' format, stores or FUSE: messages are built from what the thrower passes.
 */
package dev.cairn.error;
