/**
 * The transactional chunk store behind a writable overlay: the delta allocator's append-only spill
 * file (chunks packed into compressed groups, recovered by scanning after a crash), the crash-safe
 * manifest (chunk → location, a snapshot plus a CRC-framed log replayed on open), the {@code
 * DeltaStore} that combines them (with its compaction and its {@code StoreGate}: the one lock and
 * open/closed/writable state it shares with its owner), and the exclusive directory lock. Must not
 * know the snapshot format or what a chunk's bytes mean; chunk compression comes in as a {@code
 * ChunkCompressor}.
 */
package dev.cairn.delta;
