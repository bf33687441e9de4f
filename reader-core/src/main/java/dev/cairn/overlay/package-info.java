/**
 * The writable overlay of a mount: a base snapshot plus a delta store, read and written at any
 * offset and length, with the overlay directory's configuration (which base it belongs to). Must
 * not know FUSE; its durability (spill file, manifest, lock) comes from {@code dev.cairn.store}.
 */
package dev.cairn.overlay;
