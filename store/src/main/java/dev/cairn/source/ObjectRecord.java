package dev.cairn.source;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Arrays;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.zip.CRC32C;

/**
 * What the disk cache remembers of a remote object besides its chunks: its URL, size and validator
 * (ETag or Last-Modified) as the server last gave them, and when. It is what lets a mount find the
 * object's chunks while the server is unreachable, and {@code cairn cache ls} name what it holds.
 * One file per URL, {@code cairn-chunks-v1/URLKEY.obj} (URLKEY: the first 32 hex digits of the
 * SHA-256 of the URL), all integers little-endian:
 *
 * <pre>
 * magic "cairnob1" (8) | n (4) | URL (n, UTF-8) | size (8) | m (4, -1: none) | validator (m)
 *   | recorded at, ms since the epoch (8) | CRC32C of everything before (4)
 * </pre>
 *
 * It is trusted exactly as far as the chunks next to it: read only from the cache folder that
 * passed {@link CacheRoot}'s ownership rules, only as a regular file (no link followed), only whole
 * (magic, lengths, CRC) and only for the URL it names; it is written under a temporary name ({@code
 * .tmp-obj-HEX}, {@code O_EXCL}) and renamed. A wrong record can only point at a KEY folder whose
 * chunks are themselves checked by every reader, as chunks are when the server is reachable.
 *
 * @param url the object's URL, without credentials or query
 * @param validator null if the server gave none
 * @param recordedMillis when the server last gave these
 */
record ObjectRecord(String url, long size, String validator, long recordedMillis) {
  private static final byte[] MAGIC = "cairnob1".getBytes(StandardCharsets.US_ASCII);
  private static final int MAX_FILE = 64 << 10;

  /** Whether {@code other} describes the same version of the same object. */
  boolean sameVersion(ObjectRecord other) {
    return other != null
        && url.equals(other.url)
        && size == other.size
        && java.util.Objects.equals(validator, other.validator);
  }

  /** The record of {@code url} in {@code file}, or null if it is absent, damaged or not for it. */
  static ObjectRecord read(Path file, String url) {
    try {
      BasicFileAttributes a =
          Files.readAttributes(file, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
      if (!a.isRegularFile() || a.size() > MAX_FILE || a.size() < 36) {
        return null;
      }
      ByteBuffer b = ByteBuffer.allocate((int) a.size()).order(ByteOrder.LITTLE_ENDIAN);
      try (FileChannel ch =
          FileChannel.open(file, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS)) {
        ChunkFile.readFully(ch, b, 0);
      }
      ObjectRecord r = parse(b.flip());
      return r != null && (url == null || r.url.equals(url)) ? r : null;
    } catch (IOException e) {
      return null;
    }
  }

  private static ObjectRecord parse(ByteBuffer b) {
    try {
      int end = b.limit() - 4;
      CRC32C crc = new CRC32C();
      crc.update(b.array(), 0, end);
      if (b.getInt(end) != (int) crc.getValue() || !Arrays.equals(b.array(), 0, 8, MAGIC, 0, 8)) {
        return null;
      }
      b.position(8);
      String url = string(b);
      long size = b.getLong();
      String validator = string(b);
      long at = b.getLong();
      if (url == null || size < 0 || b.position() != end) {
        return null;
      }
      return new ObjectRecord(url, size, validator, at);
    } catch (RuntimeException e) {
      return null; // a length pointing outside the file
    }
  }

  private static String string(ByteBuffer b) {
    int n = b.getInt();
    if (n < 0) {
      return null;
    }
    byte[] s = new byte[n];
    b.get(s);
    return new String(s, StandardCharsets.UTF_8);
  }

  /** Writes this record as {@code file} (replacing what is there), through a temporary file. */
  void write(Path file) throws IOException {
    byte[] u = url.getBytes(StandardCharsets.UTF_8);
    byte[] v = validator == null ? null : validator.getBytes(StandardCharsets.UTF_8);
    ByteBuffer b =
        ByteBuffer.allocate(8 + 4 + u.length + 8 + 4 + (v == null ? 0 : v.length) + 8 + 4)
            .order(ByteOrder.LITTLE_ENDIAN);
    b.put(MAGIC).putInt(u.length).put(u).putLong(size);
    if (v == null) {
      b.putInt(-1);
    } else {
      b.putInt(v.length).put(v);
    }
    b.putLong(recordedMillis);
    CRC32C crc = new CRC32C();
    crc.update(b.array(), 0, b.position());
    b.putInt((int) crc.getValue()).flip();
    Path tmp =
        file.resolveSibling(".tmp-obj-" + Long.toHexString(ThreadLocalRandom.current().nextLong()));
    try {
      try (FileChannel ch =
          FileChannel.open(
              tmp,
              Set.of(
                  StandardOpenOption.CREATE_NEW,
                  StandardOpenOption.WRITE,
                  LinkOption.NOFOLLOW_LINKS),
              PrivateFolder.FILE_MODE)) {
        while (b.hasRemaining()) {
          ch.write(b);
        }
      }
      Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } finally {
      CacheRoot.delete(tmp);
    }
  }
}
