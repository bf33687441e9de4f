package dev.cairn.fuse;

import java.nio.file.Path;
import java.time.Instant;

/**
 * What a serving process knows about its own mount, shown in {@code .cairn/stats.json}. Immutable.
 *
 * @param snapshot the snapshot file (absolute) or URL
 * @param snapshotId the snapshot's id
 * @param mountPoint where it is mounted (absolute)
 * @param logFile the serving process's log file, or null when it logs to a terminal
 * @param pid the serving process
 * @param cacheSize capacity of the decompressed-block cache in bytes
 * @param started when the mount became ready
 */
public record MountInfo(
    String snapshot,
    String snapshotId,
    Path mountPoint,
    Path logFile,
    long pid,
    long cacheSize,
    Instant started) {}
