/**
 * Reading snapshots: opening one over a {@code ByteSource} and checking its header, footer and
 * trailer, resolving a chain of thin snapshots to their parents, the block and index-page caches,
 * the verifier and the diff. The read path is one line: {@code StreamReader} (one per stream, built
 * with its collaborators) asks {@code BlockIndex} where a block is, the {@code BlockCache} for it,
 * and on a miss {@code BlockDecoder} (byte source, CRC32C, decompression); inherited blocks go to
 * the parent's {@code StreamReader}, and {@code Prefetcher} warms the cache ahead. A verified
 * snapshot's decoder keeps checked stored bytes in {@code StoredBlocks}, a share of the cache's
 * budget. Counters go to a {@code ReadStatsCounter} and are read as a {@code ReadStatsSnapshot}.
 * {@code SnapshotSummary} reads only the header and footer, which needs no key even for an
 * encrypted snapshot (for {@code info}). Must not write snapshots ({@code dev.cairn.write}) nor
 * know how the bytes are exposed (FUSE, CLI).
 */
package dev.cairn.read;
