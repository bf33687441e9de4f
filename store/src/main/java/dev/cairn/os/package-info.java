/**
 * What Cairn asks of the operating system beyond files: the scheduling priority of its background
 * threads ({@code BackgroundPriority}), and binding the native functions Cairn calls so that a
 * missing one costs its feature, not a failure ({@code NativeLibrary}). Must not know what those
 * threads do.
 */
package dev.cairn.os;
