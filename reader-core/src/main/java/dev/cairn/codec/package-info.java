/**
 * Block codecs (LZ4, Zstandard with an optional trained dictionary, none): compress one block,
 * decompress one block into a caller's buffer, and refuse a block whose output would not have the
 * expected length. Must not know where blocks are stored or how they are checksummed.
 */
package dev.cairn.codec;
