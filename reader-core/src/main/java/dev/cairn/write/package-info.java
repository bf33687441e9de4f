/**
 * Writing snapshots: the one {@code SnapshotWriter} that {@code pack} and {@code commit} share, the
 * feeds that hand it blocks (a file read with O_DIRECT, an overlay), thin packs against a parent,
 * and commit of an overlay. Must not know how the output is exposed or named beyond the path or
 * channel it is given.
 */
package dev.cairn.write;
