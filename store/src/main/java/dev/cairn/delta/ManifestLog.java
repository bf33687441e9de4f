package dev.cairn.delta;

import dev.cairn.error.CorruptStoreException;
import dev.cairn.io.Crc;
import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;

/**
 * One open manifest log, {@code manifest.log.G}: the CRC-framed changes made since the snapshot of
 * generation G. Replays it on open, truncating a torn tail, and appends and forces the records a
 * sync hands it ({@link LogRecordBuffer} encodes them).
 *
 * <p>Little-endian; offsets in bytes; A = {@value Manifest#ATTRIBUTES}. Header:
 *
 * <pre>
 *   0   8  magic "CAIRNLOG" (43 41 49 52 4E 4C 4F 47)
 *   8   2  version: 1 plain, 2 sealed (every record's payload sealed with AES-256-GCM, see below)
 *  10   6  reserved, zero
 *  16   8  generation G (must equal the snapshot's)
 *  24   4  CRC32C of bytes [0, 24)
 *  28   4  reserved, zero
 *  32   …  records, back to back
 * </pre>
 *
 * Each record:
 *
 * <pre>
 *   0   4  payload length N, 1 ≤ N ≤ 1 MiB
 *   4   4  CRC32C of the record's bytes [0, 4) followed by its bytes [8, 8+N)
 *   8   N  payload: entries back to back, filling it exactly
 * </pre>
 *
 * Entries:
 *
 * <pre>
 *   put:        u8 1, i64 key (non-negative), i64 value    17 bytes
 *   remove:     u8 2, i64 key (non-negative)                9 bytes
 *   attribute:  u8 3, u8 id (0..A-1), i64 value             10 bytes
 * </pre>
 *
 * In a sealed log (version 2) the entries, which say where the user wrote, are sealed ({@link
 * RecordCipher}); a record is then:
 *
 * <pre>
 *   0   4  stored payload length N, 29 ≤ N ≤ 1 MiB + 28 (the entries' length + 28)
 *   4   4  CRC32C of the record's bytes [0, 4) followed by its bytes [8, 8+N)
 *   8  12  nonce, random
 *  20 N-28 entries, encrypted
 *  N-8 16  GCM tag
 * </pre>
 *
 * with associated data (36 bytes) binding it to its place: the header's bytes [0, 24) (magic,
 * version, generation), the record's offset in the file (i64) and N (i32). A record moved within
 * the log or into the log of another generation (or another overlay: each has its own key) does not
 * open.
 *
 * <p>Replay stops at the first record whose length is out of range, that runs past the end of the
 * file or whose CRC32C does not match: that is the torn tail a crash while appending leaves, and
 * its records had not been synced. A record whose checksum matches but whose entries are invalid
 * cannot come from a crash and is reported as {@link CorruptStoreException}; so is a sealed record
 * whose checksum matches but whose tag does not (the tag is checked after the checksum).
 *
 * <p><b>Thread safety:</b> not thread-safe; its owner serialises appends. {@link #end()} may be
 * read from any thread.
 */
final class ManifestLog implements Closeable {
  static final String PREFIX = "manifest.log.";
  static final int HEADER_LENGTH = 32;
  static final int FRAME = 8;
  static final int MAX_PAYLOAD = 1 << 20;
  static final byte PUT = 1;
  static final byte REMOVE = 2;
  static final byte ATTRIBUTE = 3;
  static final int PUT_LENGTH = 17;
  static final int REMOVE_LENGTH = 9;
  static final int ATTRIBUTE_LENGTH = 10;

  private static final int VERSION_PLAIN = 1;
  private static final int VERSION_SEALED = 2;
  private static final int HEADER_AAD = 24;
  private static final int AAD_LENGTH = HEADER_AAD + 8 + 4;
  private static final byte[] MAGIC = "CAIRNLOG".getBytes(StandardCharsets.US_ASCII);

  private final FileChannel channel;
  private final RecordCipher cipher;
  private final byte[] headerAad;
  private final Manifest.Recovery recovery;
  private volatile long end;
  private boolean tailUnknown;

  private ManifestLog(
      FileChannel channel,
      RecordCipher cipher,
      long generation,
      long end,
      Manifest.Recovery recovery) {
    this.channel = channel;
    this.cipher = cipher;
    this.headerAad = Arrays.copyOf(header(cipher, generation).array(), HEADER_AAD);
    this.end = end;
    this.recovery = recovery;
  }

  /** The log of {@code generation} in {@code dir}. */
  static Path path(Path dir, long generation) {
    return dir.resolve(PREFIX + generation);
  }

  /**
   * Creates (or empties) {@code file} as the log of {@code generation}, header forced; sealed
   * unless {@code cipher} is plain.
   */
  static ManifestLog create(Path file, long generation, RecordCipher cipher) throws IOException {
    FileChannel ch =
        PrivateFiles.open(
            file,
            StandardOpenOption.CREATE,
            StandardOpenOption.TRUNCATE_EXISTING,
            StandardOpenOption.READ,
            StandardOpenOption.WRITE);
    try {
      FileChannels.writeFully(ch, header(cipher, generation), 0);
      ch.force(true);
      return new ManifestLog(ch, cipher, generation, HEADER_LENGTH, new Manifest.Recovery(0, 0));
    } catch (IOException | RuntimeException e) {
      ch.close();
      throw e;
    }
  }

  private static ByteBuffer header(RecordCipher cipher, long generation) {
    ByteBuffer h = newBuffer(HEADER_LENGTH);
    h.put(MAGIC)
        .putShort((short) (cipher.isPlain() ? VERSION_PLAIN : VERSION_SEALED))
        .putShort((short) 0)
        .putInt(0)
        .putLong(generation);
    return h.putInt(Crc.of(h, 0, 24)).putInt(0).flip();
  }

  /**
   * Opens the log {@code file} of {@code size} bytes (at least a header), checks its header against
   * {@code generation} and {@code cipher} (sealed unless plain), replays its records into {@code
   * map} and {@code attributes} and, unless {@code readOnly}, truncates the torn tail.
   */
  static ManifestLog open(
      Path file,
      long size,
      long generation,
      boolean readOnly,
      RecordCipher cipher,
      LongLongMap map,
      long[] attributes)
      throws IOException {
    FileChannel ch =
        readOnly
            ? FileChannel.open(file, StandardOpenOption.READ)
            : FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE);
    try {
      checkHeader(ch, file, generation, cipher);
      byte[] headerAad = Arrays.copyOf(header(cipher, generation).array(), HEADER_AAD);
      int overhead = cipher.overhead();
      ByteBuffer plain = cipher.isPlain() ? null : newBuffer(MAX_PAYLOAD);
      long records = 0;
      long pos = HEADER_LENGTH;
      ByteBuffer win = newBuffer(4 * MAX_PAYLOAD + FRAME);
      long winStart = HEADER_LENGTH;
      win.limit(0);
      // Reads through a window big enough for the largest record, so replaying many small
      // records costs few system calls.
      while (size - pos >= FRAME) {
        if (pos + FRAME > winStart + win.limit()) {
          winStart = refill(ch, win, pos, size, file);
        }
        int at = (int) (pos - winStart);
        int n = win.getInt(at);
        if (n < 1 + overhead || n > MAX_PAYLOAD + overhead || n > size - pos - FRAME) {
          break;
        }
        if (pos + FRAME + n > winStart + win.limit()) {
          winStart = refill(ch, win, pos, size, file);
          at = 0;
        }
        if (win.getInt(at + 4) != Crc.of(win, at, at + 4, at + FRAME, at + FRAME + n)) {
          break;
        }
        ByteBuffer entries = win;
        int from = at + FRAME;
        int to = at + FRAME + n;
        if (plain != null) {
          plain.clear();
          ByteBuffer sealed = win.duplicate().limit(to).position(from);
          if (!cipher.open(aad(headerAad, pos, n), sealed, plain)) {
            throw new CorruptStoreException(
                file,
                "manifest log record at offset "
                    + pos
                    + " has a valid checksum but does not authenticate (AES-GCM): altered, moved"
                    + " or sealed under another key");
          }
          entries = plain;
          from = 0;
          to = plain.position();
        }
        String problem = validate(entries, from, to);
        if (problem != null) {
          throw new CorruptStoreException(
              file,
              "manifest log record at offset "
                  + pos
                  + " has a valid checksum but invalid contents: "
                  + problem);
        }
        apply(entries, from, to, map, attributes);
        pos += FRAME + n;
        records++;
      }
      if (pos < size && !readOnly) {
        ch.truncate(pos);
        ch.force(true);
      }
      return new ManifestLog(
          ch, cipher, generation, pos, new Manifest.Recovery(records, size - pos));
    } catch (IOException | RuntimeException e) {
      ch.close();
      throw e;
    }
  }

  private static void checkHeader(FileChannel ch, Path file, long generation, RecordCipher cipher)
      throws IOException {
    ByteBuffer h = CheckedHeader.read(ch, file, HEADER_LENGTH, MAGIC, 24, "manifest log");
    int version = Short.toUnsignedInt(h.getShort(8));
    if (version != VERSION_PLAIN && version != VERSION_SEALED) {
      throw new CorruptStoreException(file, "unsupported manifest log version " + version);
    }
    if ((version == VERSION_SEALED) == cipher.isPlain()) {
      throw new CorruptStoreException(
          file,
          version == VERSION_SEALED
              ? "manifest log is encrypted, but the store was opened without a key"
              : "manifest log is not encrypted, but the store is (refusing plain records)");
    }
    long g = h.getLong(16);
    if (g != generation) {
      throw new CorruptStoreException(
          file, "manifest log is generation " + g + ", the snapshot " + generation);
    }
  }

  /** Fills the window from file offset {@code pos}; returns the window's new start offset. */
  private static long refill(FileChannel ch, ByteBuffer win, long pos, long size, Path file)
      throws IOException {
    win.clear().limit((int) Math.min(win.capacity(), size - pos));
    FileChannels.readFully(ch, win, pos, file);
    win.flip();
    return pos;
  }

  /** Checks a payload's entries; returns what is wrong, or null. */
  static String validate(ByteBuffer b, int from, int to) {
    int p = from;
    while (p < to) {
      byte type = b.get(p);
      int len =
          switch (type) {
            case PUT -> PUT_LENGTH;
            case REMOVE -> REMOVE_LENGTH;
            case ATTRIBUTE -> ATTRIBUTE_LENGTH;
            default -> -1;
          };
      if (len < 0) {
        return "unknown entry type " + type + " at payload offset " + (p - from);
      }
      if (p + len > to) {
        return "entry overruns the record at payload offset " + (p - from);
      }
      if (type == ATTRIBUTE) {
        int id = Byte.toUnsignedInt(b.get(p + 1));
        if (id >= Manifest.ATTRIBUTES) {
          return "attribute id " + id + " out of range";
        }
      } else if (b.getLong(p + 1) < 0) {
        return "negative key " + b.getLong(p + 1);
      }
      p += len;
    }
    return null;
  }

  /** Applies a payload that {@link #validate} accepted. */
  private static void apply(ByteBuffer b, int from, int to, LongLongMap map, long[] attributes) {
    int p = from;
    while (p < to) {
      switch (b.get(p)) {
        case PUT -> {
          map.put(b.getLong(p + 1), b.getLong(p + 9));
          p += PUT_LENGTH;
        }
        case REMOVE -> {
          map.remove(b.getLong(p + 1));
          p += REMOVE_LENGTH;
        }
        default -> {
          attributes[Byte.toUnsignedInt(b.get(p + 1))] = b.getLong(p + 2);
          p += ATTRIBUTE_LENGTH;
        }
      }
    }
  }

  /** The associated data of a sealed record at {@code offset} with stored payload length n. */
  private static byte[] aad(byte[] headerAad, long offset, int n) {
    ByteBuffer a = newBuffer(AAD_LENGTH);
    a.put(headerAad).putLong(offset).putInt(n);
    return a.array();
  }

  /**
   * Appends framed {@code records} (from position to limit; not consumed; sealed here, at the
   * offsets they land at, if the log is sealed) and forces them. On failure the log is truncated
   * back to where the append began, since replay would stop at a partial append and never see the
   * records a retry puts after it; if even that fails, {@link #tailUnknown()} turns true.
   */
  void append(ByteBuffer records) throws IOException {
    long at = end;
    ByteBuffer stored = cipher.isPlain() ? records.duplicate() : seal(records, at);
    try {
      FileChannels.writeFully(channel, stored.duplicate(), at);
      channel.force(false);
    } catch (IOException e) {
      try {
        channel.truncate(at);
      } catch (IOException t) {
        tailUnknown = true;
        e.addSuppressed(t);
      }
      throw e;
    }
    end = at + stored.remaining();
  }

  /** The plain framed {@code records}, each sealed for where it will lie, from {@code at} on. */
  private ByteBuffer seal(ByteBuffer records, long at) {
    int count = 0;
    for (int p = records.position(); p < records.limit(); p += FRAME + records.getInt(p)) {
      count++;
    }
    ByteBuffer out = newBuffer(records.remaining() + count * cipher.overhead());
    for (int p = records.position(); p < records.limit(); ) {
      int n = records.getInt(p);
      int start = out.position();
      int stored = n + cipher.overhead();
      out.putInt(stored).putInt(0);
      ByteBuffer entries = records.duplicate().limit(p + FRAME + n).position(p + FRAME);
      cipher.seal(aad(headerAad, at + start, stored), entries, out);
      out.putInt(start + 4, Crc.of(out, start, start + 4, start + FRAME, out.position()));
      p += FRAME + n;
    }
    return out.flip();
  }

  /** True after a failed append could not be undone. */
  boolean tailUnknown() {
    return tailUnknown;
  }

  /** The durable length of the log, in bytes. */
  long end() {
    return end;
  }

  /** What opening found: records replayed and torn bytes discarded. */
  Manifest.Recovery recovery() {
    return recovery;
  }

  @Override
  public void close() throws IOException {
    channel.close();
  }

  private static ByteBuffer newBuffer(int capacity) {
    return ByteBuffer.allocate(capacity).order(ByteOrder.LITTLE_ENDIAN);
  }
}
