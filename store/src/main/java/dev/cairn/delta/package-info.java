/**
 * The transactional chunk store behind a writable overlay, and the exclusive directory lock. Two
 * durable structures, each a small facade over classes with one job:
 *
 * <ul>
 *   <li>the spill file: {@code DeltaAllocator} over {@code SpillFormat} (header and record codec),
 *       {@code GroupWriter} (grouping, sealing, appending), {@code AdaptiveCompression}, {@code
 *       RecoveryScan} (the intact end after a crash) and {@code RecordCache} (decoded records);
 *   <li>the manifest (chunk → location): {@code Manifest} (the map API) over {@code
 *       ManifestSnapshot} (snapshot codec), {@code ManifestLog} (log framing, replay, torn-tail
 *       truncation), {@code LogRecordBuffer} (unsynced entries) and {@code ManifestFiles}
 *       (generations and compaction).
 * </ul>
 *
 * {@code DeltaStore} combines them, with {@code SpillCompaction} (copy and switch) and {@code
 * StoreGate}: the one lock and open/closed/writable state it shares with its owner (the overlay).
 * Each class that reads a file documents its layout byte by byte. Must not know the snapshot format
 * or what a chunk's bytes mean; chunk compression comes in as a {@code ChunkCompressor}.
 */
package dev.cairn.delta;
