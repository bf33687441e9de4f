/**
 * Small file-system primitives the rest of Cairn builds on: files that appear under their name only
 * when complete ({@code AtomicOutputFile}, with its sweep of dead writers' temporaries), background
 * write-back ({@code WriteBehind}), fsync of files and directories, deleting a temporary folder
 * Cairn made ({@code TemporaryFolder}), CRC32C over buffers, and the parsing of sizes such as
 * {@code 64K}. Must not know snapshots, overlays or remote objects.
 */
package dev.cairn.io;
