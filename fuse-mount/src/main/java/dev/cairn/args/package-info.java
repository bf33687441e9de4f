/**
 * What the commands ({@code dev.cairn.cli}) and a mount's serving process ({@code dev.cairn.mount})
 * share about the arguments a user gives: opening the snapshot a {@code SNAP} argument names (a
 * path or a URL, with its parents), checking input files before any work starts, sizes written for
 * people in messages, signing ({@code Signing}) and the files that go with a snapshot: its
 * signature and its access profile ({@code Profiles}). Must not know picocli, FUSE or the mount
 * lifecycle; failures are {@code dev.cairn.error.UsageException}s naming the argument.
 */
package dev.cairn.args;
