package dev.cairn.source;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Arrays;
import java.util.Set;
import java.util.zip.CRC32C;

/**
 * The format of one chunk file of the {@link DiskChunkCache}, and its checks. All integers
 * little-endian:
 *
 * <pre>
 * offset  size  field
 *      0     8  magic, ASCII "cairnck1" (a chunk) or "cairnpc1" (a piece)
 *      8    32  SHA-256 of the object's URL, size and validator (the full hash KEY begins with)
 *     40     8  chunk index, or a piece's first byte in the object
 *     48     4  n, the number of data bytes
 *     52     n  the chunk's bytes
 *   52+n     4  CRC32C of bytes 0 .. 52+n-1
 * </pre>
 *
 * A chunk is served only if its length, magic, hash, index, n and CRC all match what is asked for,
 * so a file renamed from another object or position is never served, nor a piece taken for a chunk
 * or the other way round ({@link CachedPieces}: a byte range fetched on its own). Files are opened
 * without following symbolic links, and written only as new files ({@code O_EXCL}).
 *
 * <p>Stateless; thread-safe.
 */
final class ChunkFile {
  /** What a file holds: a whole chunk, or a piece (a byte range of the object). */
  enum Kind {
    CHUNK("cairnck1"),
    PIECE("cairnpc1");

    private final byte[] magic;

    Kind(String magic) {
      this.magic = magic.getBytes(StandardCharsets.US_ASCII);
    }
  }

  private static final int HEADER = 52;
  private static final int TRAILER = 4;

  private ChunkFile() {}

  /** The size of the file that holds {@code length} data bytes. */
  static long fileSize(int length) {
    return HEADER + (long) length + TRAILER;
  }

  /**
   * Chunk {@code index} of the object {@code hash} names, {@code length} data bytes, read from
   * {@code file}, or null if it is not there whole and intact. A regular file at that name that is
   * not this chunk is deleted, so that the chunk fetched again can take its place.
   */
  static byte[] read(Path file, byte[] hash, long index, int length) {
    return read(file, Kind.CHUNK, hash, index, length);
  }

  /**
   * Like {@link #read(Path, byte[], long, int)} for a file of {@code kind}; for a piece, {@code
   * index} is its first byte in the object.
   */
  static byte[] read(Path file, Kind kind, byte[] hash, long index, int length) {
    try {
      // only a regular file of the exact size is read (a link or a FIFO planted at the name is not
      // opened, and the open below would refuse a link swapped in meanwhile: ELOOP)
      BasicFileAttributes a =
          Files.readAttributes(file, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
      if (!a.isRegularFile()) {
        return null; // a put renames a chunk over it
      }
      if (a.size() != fileSize(length)) {
        CacheRoot.delete(file);
        return null;
      }
      try (FileChannel ch =
          FileChannel.open(file, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS)) {
        ByteBuffer head = ByteBuffer.allocate(HEADER).order(ByteOrder.LITTLE_ENDIAN);
        readFully(ch, head, 0);
        byte[] data = new byte[length];
        readFully(ch, ByteBuffer.wrap(data), HEADER);
        ByteBuffer tail = ByteBuffer.allocate(TRAILER).order(ByteOrder.LITTLE_ENDIAN);
        readFully(ch, tail, HEADER + (long) length);
        boolean intact =
            Arrays.equals(head.array(), 0, 8, kind.magic, 0, 8)
                && Arrays.equals(head.array(), 8, 40, hash, 0, 32)
                && head.getLong(40) == index
                && head.getInt(48) == length
                && tail.getInt(0) == crc(head, data);
        if (!intact) {
          CacheRoot.delete(file);
          return null;
        }
        return data;
      }
    } catch (IOException e) {
      return null; // not cached, or unreadable: then it is fetched again
    }
  }

  /**
   * Writes chunk {@code index} of the object {@code hash} names as the new file {@code file},
   * created with {@code O_EXCL} (never opening an existing file or following a link planted at the
   * name) and mode 0600.
   */
  static void write(Path file, byte[] hash, long index, byte[] data) throws IOException {
    write(file, Kind.CHUNK, hash, index, data);
  }

  /** Like {@link #write(Path, byte[], long, byte[])} for a file of {@code kind}. */
  static void write(Path file, Kind kind, byte[] hash, long index, byte[] data) throws IOException {
    ByteBuffer head = ByteBuffer.allocate(HEADER).order(ByteOrder.LITTLE_ENDIAN);
    head.put(kind.magic).put(hash).putLong(index).putInt(data.length).flip();
    ByteBuffer tail = ByteBuffer.allocate(TRAILER).order(ByteOrder.LITTLE_ENDIAN);
    tail.putInt(0, crc(head, data));
    ByteBuffer[] parts = {head, ByteBuffer.wrap(data), tail};
    try (FileChannel ch =
        FileChannel.open(
            file,
            Set.of(
                StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS),
            PrivateFolder.FILE_MODE)) {
      while (parts[2].hasRemaining()) {
        ch.write(parts);
      }
    }
  }

  private static int crc(ByteBuffer head, byte[] data) {
    CRC32C c = new CRC32C();
    c.update(head.array(), 0, HEADER);
    c.update(data, 0, data.length);
    return (int) c.getValue();
  }

  /** Fills {@code dst} from {@code ch} at {@code position}, or fails if the file ends first. */
  static void readFully(FileChannel ch, ByteBuffer dst, long position) throws IOException {
    long pos = position;
    while (dst.hasRemaining()) {
      int n = ch.read(dst, pos);
      if (n < 0) {
        throw new EOFException();
      }
      pos += n;
    }
  }
}
