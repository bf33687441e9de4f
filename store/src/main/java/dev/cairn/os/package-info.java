/**
 * What Cairn asks of the operating system beyond files: the scheduling priority of its background
 * threads ({@code BackgroundPriority}). Must not know what those threads do.
 */
package dev.cairn.os;
