/**
 * The transactional chunk store behind a writable overlay, and the exclusive directory lock. Two
 * durable structures, each a small facade over classes with one job:
 *
 * <ul>
 *   <li>the spill file: {@code DeltaAllocator} (placement and force) over {@code SpillFormat}
 *       (header and record codec), {@code GroupWriter} (grouping, sealing, appending: where a
 *       record's bytes are written), {@code RecordReader} (where they are read back and decoded),
 *       {@code AdaptiveCompression}, {@code RecoveryScan} (the intact end after a crash) and {@code
 *       RecordCache} (decoded records);
 *   <li>the manifest (chunk → location): {@code Manifest} (the map API) over {@code
 *       ManifestSnapshot} (snapshot codec), {@code ManifestLog} (log framing, replay, torn-tail
 *       truncation), {@code LogRecordBuffer} (unsynced entries) and {@code ManifestFiles}
 *       (generations and compaction).
 * </ul>
 *
 * {@code DeltaStore} combines them behind the map, read and write API: {@code StoreFiles} (the
 * directory's files, the manifest attributes that tie them together, create and open with repair),
 * {@code StoreSync} (fsync: data, then manifest), {@code StoreCompaction} (the copy-and-switch
 * protocol and when to run it, with {@code SpillCompaction} doing the copy), {@code LogicalSize}
 * (the size and the zeros past it), {@code LiveSpill} (the spill file in use), {@code StoreStats},
 * and {@code StoreGate}: the one lock and open/closed/writable state it shares with its owner (the
 * overlay). Each class that reads a file documents its layout byte by byte, and each class that
 * keeps a crash-safety promise explains it. Must not know the snapshot format or what a chunk's
 * bytes mean; chunk compression comes in as a {@code ChunkCompressor}.
 *
 * <p>Encryption at rest comes in the same way, as a {@code RecordCipher}: {@code NONE} keeps every
 * file as it always was, byte for byte; {@code aesGcm(key)} (an overlay on an encrypted base passes
 * a key derived from the base's secret; the store never sees where it came from) seals every spill
 * record ({@code SpillSeal}, layout in {@code SpillFormat}), every manifest log record ({@code
 * ManifestLog}) and the manifest snapshot's body ({@code ManifestSnapshot}) with AES-256-GCM under
 * a fresh random nonce, bound by its associated data to its file and position. Sealed files carry
 * version 2 in their headers, and a store refuses a file of the other kind. The CRC32C framing and
 * with it every crash guarantee stay as they are: the CRC finds torn tails, and a tag that fails
 * under a matching CRC is damage ({@code CorruptStoreException}), never data.
 */
package dev.cairn.delta;
