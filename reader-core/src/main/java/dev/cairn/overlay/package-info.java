/**
 * The writable overlay of a mount: a base snapshot plus a delta store, read and written at any
 * offset and length. {@code OverlayDirectory} creates, validates and locks an overlay directory and
 * finds its base ({@code OverlayConfig}, {@code SnapshotOpener}) and, on an encrypted base, the key
 * its store is sealed under ({@code OverlayKey}, from the base's secret); {@code OverlayImage} adds
 * only the layering on the base (untouched chunks read from it, the image grown past it) to the
 * store, whose lock and open/closed/writable state it shares. Must not know FUSE; its durability
 * (spill file, manifest, lock, state) comes from {@code dev.cairn.delta}.
 */
package dev.cairn.overlay;
