/**
 * The {@code cairn} command line (picocli): one class per command, the one place that maps failures
 * to exit codes and one-line messages ({@code ErrorHandler}), and the launch of a mount's serving
 * process ({@code ServeLauncher}, {@code ServeMain}, {@code MountServer}). Owns flags, human and
 * JSON output, and the checks of arguments that need no snapshot; must not read or write snapshot
 * bytes itself (it calls {@code dev.cairn.read}, {@code dev.cairn.write}) nor talk to FUSE directly
 * ({@code dev.cairn.fuse}).
 */
package dev.cairn.cli;
