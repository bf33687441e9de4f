/**
 * Reading snapshots: opening one over a {@code ByteSource} and checking its header, footer and
 * trailer, resolving a chain of thin snapshots to their parents, the block and index-page caches,
 * the stream reader that turns (offset, length) into checked, decompressed bytes, the verifier and
 * the diff. Must not write snapshots ({@code dev.cairn.write}) nor know how the bytes are exposed
 * (FUSE, CLI).
 */
package dev.cairn.read;
