/**
 * Read-only byte sources: the positional, thread-safe {@code ByteSource} contract and its
 * implementations (local file, memory-mapped file guarded by a file lease, HTTP ranges, S3 ranged
 * GETs), the remote sources' shared retry and chunking logic, and the local disk cache of remote
 * chunks with its ownership rules. Must not know the snapshot format: callers ask for (position,
 * length) and get bytes, or an exception that says why not.
 */
package dev.cairn.source;
