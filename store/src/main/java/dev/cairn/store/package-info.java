/**
 * Where bytes live, with no knowledge of the snapshot format: read-only positional byte sources
 * (local file, memory map, HTTP, S3) and the local disk cache of remote chunks; files that appear
 * only when complete ({@code AtomicOutputFile}); and the durable parts of a writable overlay (the
 * delta allocator's spill file, the crash-safe manifest, the directory lock). Must not know what a
 * block, an index page or a stream is: callers hand it offsets, lengths and opaque chunks.
 */
package dev.cairn.store;
