/**
 * Cairn's tuning switches ({@code -Dcairn.…} system properties and {@code CAIRN_…} environment
 * variables) as one typed record, {@code Tuning}: every switch, its default and what it is for is
 * listed there and nowhere else. Lives in the lowest module so that the byte sources, the read path
 * and the FUSE layer all read the same record. Must not know what the switches act on: it parses
 * values, it does not open files or mounts.
 */
package dev.cairn.config;
