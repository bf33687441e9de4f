package dev.cairn.delta;

/**
 * What opening a spill file ({@link DeltaAllocator#open}) found past the point it was asked to
 * check from: records and chunk slots scanned, and the bytes of a torn tail it discarded.
 * Immutable.
 */
public record SpillRecovery(long recordsScanned, long slotsScanned, long bytesDiscarded) {}
