/**
 * The snapshot format's records, byte by byte ({@code docs/FORMAT.md} is the overview; each
 * record's javadoc is the authority): header, block index entries and pages, footer, trailer,
 * snapshot ids, content hashes. Parses and writes records from and to buffers, and says what is
 * wrong with one by the exceptions of {@code dev.cairn.error}; must not do I/O, caching or
 * decompression.
 */
package dev.cairn.format;
