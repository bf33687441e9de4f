/**
 * The snapshot format's records, byte by byte ({@code docs/FORMAT.md} is the overview; each
 * record's javadoc is the authority): header, block index entries and pages, footer, trailer,
 * snapshot ids, content hashes, and the exceptions that say a file is not a valid snapshot. Parses
 * and writes records from and to buffers; must not do I/O, caching or decompression.
 */
package dev.cairn.format;
