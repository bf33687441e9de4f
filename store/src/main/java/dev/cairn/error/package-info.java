/**
 * Cairn's own failures, one sealed hierarchy under {@link dev.cairn.error.CairnException}: corrupt
 * snapshot or store, missing parent, unsupported version or snapshot, not a snapshot, overlay in
 * use, closed, out of space, remote unavailable, source changed, not a regular file, no
 * credentials. Every module throws these; the command line maps them to exit codes and the FUSE
 * layer to errno, each in one place. Knows nothing of snapshots' format, stores or FUSE: messages
 * are built from what the thrower passes.
 */
package dev.cairn.error;
