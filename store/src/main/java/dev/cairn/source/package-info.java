/**
 * Read-only byte sources: the positional, thread-safe {@code ByteSource} contract and its
 * implementations (local file, memory-mapped file guarded by a file lease, HTTP ranges, S3 ranged
 * GETs, which only fetch, through the one {@code RetryPolicy}), and {@code ChunkCachingSource}, the
 * decorator that serves remote reads from whole chunks cached in memory and in the local disk cache
 * ({@code DiskChunkCache}: chunk files in {@code ChunkFile}'s format, in a folder {@code CacheRoot}
 * manages under its ownership rules and {@code CacheListing} lists) and reads ahead, and drops the
 * chunks of a range a caller found wrong ({@code ByteSource.invalidate}); {@code CachedPieces} (the
 * exact ranges a profile prefetches, and the scattered reads after, kept beside the chunks), {@code
 * ReadStreams} (a sequential reader told from a scattered one), {@code GuardedFetch} (a failed read
 * not retried for a second). How remote reads use the link is decided here too: {@code
 * ReadAheadWindow} (which chunks to read ahead, from the access order), {@code ChunkRuns} (adjacent
 * missing chunks as one request), {@code LinkEstimate} (bandwidth × latency, measured), {@code
 * RemoteLimits} with {@code BandwidthCap} (the process's request slots, rate cap, read-ahead budget
 * and fetch threads). Opening: {@code RemoteObjects} (online, or from the disk cache alone when the
 * server is unreachable). Offline use and cache management: {@code ObjectRecord} (a URL's size and
 * validator kept next to its chunks), {@code OfflineNotices} (the line saying an object is read
 * from the cache alone), {@code CacheFolder} (ls, du, prune). Must not know the snapshot format:
 * callers ask for (position, length) and get bytes, or an exception that says why not.
 */
package dev.cairn.source;
