package dev.cairn.format;

import dev.cairn.crypto.KeyDerivation;
import dev.cairn.error.CairnException;
import dev.cairn.error.CorruptSnapshotException;
import dev.cairn.error.NotASnapshotException;
import dev.cairn.error.UnsupportedSnapshotException;
import dev.cairn.error.UnsupportedVersionException;
import dev.cairn.io.Crc;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The snapshot header: everything a writer knows before the first data byte. It is written once, at
 * offset 0, and never rewritten, so that a writer can stream to a pipe.
 *
 * <p>Layout (little-endian; offsets in bytes):
 *
 * <pre>
 *   0   8  magic 89 43 41 49 52 4E 0D 0A ("\x89CAIRN\r\n": catches text-mode mangling)
 *   8   2  major version (readers refuse other majors)
 *  10   2  minor version (new values of fields, and fields after the hint older readers skip)
 *  12   4  header length H, including the trailing CRC
 *  16  16  snapshot id
 *  32   8  creation time, milliseconds since the epoch
 *  40   1  log2 of the block size (12..20)
 *  41   1  codec id (0 none, 1 lz4, 2 zstd)
 *  42   1  codec level (signed)
 *  43   1  content hash algorithm ({@link HashAlgorithm}: 1 SHA-256/128, 2 XXH3-128; 2 needs 1.1)
 *  44   4  index entries per page
 *  48   4  flags: bit 0 has parent, bit 1 encrypted, bit 2 zstd dictionary follows the header
 *  52   4  dictionary length (0 if none)
 *  56   4  dictionary CRC32C
 *  60   1  stream count (1 or 2)
 *  61   3  reserved, zero
 *  64  16  parent snapshot id (zero if none)
 *  80   1  cipher (0 none, 1 AES-256-GCM; 1 needs format 1.2)
 *  81   1  key derivation (0 none, 1 raw 32-byte key file, 2 Argon2id over a passphrase)
 *  82   1  Argon2id: log2 of the memory cost in KiB (13..20); else zero (reserved before 1.2)
 *  83   1  Argon2id: parallelism, lanes (1..16); else zero (reserved before 1.2)
 *  84   4  Argon2id: iterations (1..32); else zero
 *  88  16  Argon2id: salt; else zero
 * 104  16  key check value: HKDF-SHA256(master key, salt = snapshot id, "cairn 1.2 key check")
 * 120   …  per stream: u16 name length, UTF-8 name
 *       …  u16 parent path hint length, UTF-8 hint (relative to the child's directory)
 * H-4   4  CRC32C of bytes [0, H-4)
 * </pre>
 *
 * <p>{@link #parse} refuses, with an {@link UnsupportedSnapshotException} naming the field and
 * value, every value this reader does not implement ({@link HeaderRules}), non-zero reserved bytes,
 * malformed UTF-8, stream names that cannot be file names in a mount or that repeat, and bytes
 * after the hint unless the minor version is newer than {@link #MINOR_VERSION}. Immutable.
 */
public record Header(
    int minorVersion,
    SnapshotId snapshotId,
    long createdMillis,
    int blockSizeLog2,
    CodecType codec,
    int codecLevel,
    HashAlgorithm contentHash,
    int entriesPerPage,
    int dictionaryLength,
    int dictionaryCrc,
    List<String> streamNames,
    SnapshotId parentId,
    String parentPathHint,
    Encryption encryption) {

  public static final int MAJOR_VERSION = 1;

  /**
   * 1.1 added content hash algorithm 2 (XXH3-128); 1.2 added encryption (cipher 1, key derivations
   * 1 and 2, and bytes 82-83). A 1.1 reader reads a plain 1.2 snapshot (no value in it is new to
   * it) and refuses an encrypted one by its cipher.
   */
  public static final int MINOR_VERSION = 2;

  public static final int MIN_BLOCK_LOG2 = 12;
  public static final int MAX_BLOCK_LOG2 = 20;
  public static final int MAX_STREAMS = 2;
  public static final int MAX_NAME_BYTES = 255;
  public static final int MAX_HINT_BYTES = 4096;
  public static final int MAX_ENTRIES_PER_PAGE = 65536;
  public static final int MAX_DICTIONARY_LENGTH = 4 << 20;

  /** Enough bytes to find the magic, version and header length. */
  public static final int PREFIX_LENGTH = 16;

  /** No header is longer than this; a larger length field is corruption. */
  public static final int MAX_LENGTH = 16 << 10;

  private static final byte[] MAGIC = {(byte) 0x89, 'C', 'A', 'I', 'R', 'N', '\r', '\n'};
  private static final int FIXED_LENGTH = 120;

  public Header {
    streamNames = List.copyOf(streamNames);
    if (streamNames.isEmpty() || streamNames.size() > MAX_STREAMS) {
      throw new IllegalArgumentException("1 or 2 streams, not " + streamNames.size());
    }
    if (blockSizeLog2 < MIN_BLOCK_LOG2 || blockSizeLog2 > MAX_BLOCK_LOG2) {
      throw new IllegalArgumentException("block size 2^" + blockSizeLog2 + " out of range");
    }
    if (contentHash == null) {
      throw new IllegalArgumentException("no content hash algorithm");
    }
    if (parentPathHint == null) {
      parentPathHint = "";
    }
  }

  public int blockSize() {
    return 1 << blockSizeLog2;
  }

  public boolean hasParent() {
    return !parentId.isNone();
  }

  /**
   * Checks the magic and version in the first {@link #PREFIX_LENGTH} bytes and returns the header
   * length, so the caller knows how much more to read.
   */
  public static int peekLength(ByteBuffer prefix, String source) throws CairnException {
    ByteBuffer b = prefix.duplicate().order(ByteOrder.LITTLE_ENDIAN);
    if (b.remaining() < PREFIX_LENGTH) {
      throw new NotASnapshotException(source, "only " + b.remaining() + " bytes long");
    }
    int start = b.position();
    for (int i = 0; i < MAGIC.length; i++) {
      if (b.get(start + i) != MAGIC[i]) {
        throw new NotASnapshotException(source, "no Cairn magic in the first bytes");
      }
    }
    int major = Short.toUnsignedInt(b.getShort(start + 8));
    int minor = Short.toUnsignedInt(b.getShort(start + 10));
    if (major != MAJOR_VERSION) {
      throw new UnsupportedVersionException(source, major, minor, MAJOR_VERSION);
    }
    int length = b.getInt(start + 12);
    if (length < FIXED_LENGTH + 4 || length > MAX_LENGTH) {
      throw new CorruptSnapshotException(source, "header length " + length + " out of range");
    }
    return length;
  }

  /** Parses and validates a whole header occupying {@code buf}'s remaining bytes. */
  public static Header parse(ByteBuffer buf, String source) throws CairnException {
    int length = peekLength(buf, source);
    ByteBuffer b = buf.slice().order(ByteOrder.LITTLE_ENDIAN);
    if (b.remaining() < length) {
      throw new CorruptSnapshotException(source, "file ends inside the header");
    }
    int stored = b.getInt(length - 4);
    if (stored != Crc.of(b, 0, length - 4)) {
      throw new CorruptSnapshotException(source, "header checksum mismatch");
    }
    try {
      b.limit(length - 4).position(10);
      HeaderRules.Fixed f = HeaderRules.Fixed.read(b);
      HeaderRules.checkFixed(f, source);
      String[] names = new String[f.streams()];
      for (int i = 0; i < names.length; i++) {
        names[i] = HeaderRules.readName(b, i, source);
      }
      HeaderRules.refuse(
          names.length == 2 && names[0].equals(names[1]),
          source,
          "invalid snapshot: both streams are named '" + names[0] + "'");
      String hint = HeaderRules.readHint(b, source);
      // A later minor version may append fields here that older readers skip; up to this one there
      // are none, so bytes there were not written by a Cairn writer.
      HeaderRules.refuse(
          f.minor() <= MINOR_VERSION && b.hasRemaining(),
          source,
          "invalid snapshot: "
              + b.remaining()
              + " bytes between the parent path hint and the header checksum, which format 1."
              + f.minor()
              + " does not define");
      return new Header(
          f.minor(),
          f.id(),
          f.created(),
          f.log2(),
          CodecType.byId(f.codecId()),
          f.level(),
          HashAlgorithm.byId(f.hash()),
          f.perPage(),
          f.dictLen(),
          f.dictCrc(),
          List.of(names),
          f.parent(),
          hint,
          f.encryption());
    } catch (BufferUnderflowException e) {
      throw new UnsupportedSnapshotException(
          source, "invalid snapshot: header fields run past its length " + length);
    }
  }

  /**
   * A name usable as a file name in a mount: non-empty, no slash, no control characters (they would
   * end up in directory listings and terminals), not {@code .}, {@code ..} or {@code .cairn}.
   */
  public static boolean isValidStreamName(String name) {
    return !name.isEmpty()
        && name.codePoints().noneMatch(Character::isISOControl)
        && !name.equals(".")
        && !name.equals("..")
        && !name.equals(".cairn")
        && name.indexOf('/') < 0
        && name.indexOf('\0') < 0
        && name.getBytes(StandardCharsets.UTF_8).length <= MAX_NAME_BYTES;
  }

  /** Serializes this header, including its checksum. */
  public ByteBuffer encode() {
    byte[][] names =
        streamNames.stream().map(s -> s.getBytes(StandardCharsets.UTF_8)).toArray(byte[][]::new);
    byte[] hint = parentPathHint.getBytes(StandardCharsets.UTF_8);
    int length = FIXED_LENGTH + 4;
    for (byte[] n : names) {
      length += 2 + n.length;
    }
    length += 2 + hint.length;
    ByteBuffer b = ByteBuffer.allocate(length).order(ByteOrder.LITTLE_ENDIAN);
    b.put(MAGIC);
    b.putShort((short) MAJOR_VERSION);
    b.putShort((short) minorVersion);
    b.putInt(length);
    snapshotId.write(b);
    b.putLong(createdMillis);
    b.put((byte) blockSizeLog2);
    b.put((byte) codec.id());
    b.put((byte) codecLevel);
    b.put((byte) contentHash.id());
    b.putInt(entriesPerPage);
    int flags =
        (hasParent() ? HeaderRules.FLAG_PARENT : 0)
            | (encryption.enabled() ? HeaderRules.FLAG_ENCRYPTED : 0)
            | (dictionaryLength > 0 ? HeaderRules.FLAG_DICTIONARY : 0);
    b.putInt(flags);
    b.putInt(dictionaryLength);
    b.putInt(dictionaryCrc);
    b.put((byte) names.length);
    b.put(new byte[3]);
    parentId.write(b);
    b.put((byte) encryption.cipher());
    writeKeyDerivation(b, encryption.kdf());
    b.put(encryption.keyCheck());
    for (byte[] n : names) {
      b.putShort((short) n.length);
      b.put(n);
    }
    b.putShort((short) hint.length);
    b.put(hint);
    b.putInt(Crc.of(b, 0, length - 4));
    return b.flip();
  }

  /** Bytes 81 to 103: key derivation id, Argon2id memory and lanes, iterations, salt. */
  private static void writeKeyDerivation(ByteBuffer b, KeyDerivation kdf) {
    if (kdf instanceof KeyDerivation.Argon2id a) {
      b.put((byte) HeaderRules.KDF_ARGON2ID);
      b.put((byte) a.memoryLog2KiB());
      b.put((byte) a.parallelism());
      b.putInt(a.iterations());
      b.put(a.salt());
    } else {
      b.put((byte) (kdf == null ? HeaderRules.KDF_NONE : HeaderRules.KDF_KEY_FILE));
      b.put(new byte[2 + 4 + KeyDerivation.SALT_LENGTH]);
    }
  }
}
