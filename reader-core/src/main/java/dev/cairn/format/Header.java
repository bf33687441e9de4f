package dev.cairn.format;

import dev.cairn.error.CairnException;
import dev.cairn.error.CorruptSnapshotException;
import dev.cairn.error.NotASnapshotException;
import dev.cairn.error.UnsupportedSnapshotException;
import dev.cairn.error.UnsupportedVersionException;
import dev.cairn.io.Crc;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
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
 *  80   1  cipher (0 none, 1 AES-256-GCM)
 *  81   1  key derivation (0 none, 1 key file, 2 PBKDF2-HMAC-SHA256)
 *  82   2  reserved, zero
 *  84   4  KDF iterations
 *  88  16  KDF salt
 * 104  16  key check value
 * 120   …  per stream: u16 name length, UTF-8 name
 *       …  u16 parent path hint length, UTF-8 hint (relative to the child's directory)
 * H-4   4  CRC32C of bytes [0, H-4)
 * </pre>
 *
 * <p>{@link #parse} refuses, with an {@link UnsupportedSnapshotException} naming the field and
 * value, every value this reader does not implement (including encryption, which is not built yet),
 * non-zero reserved bytes, malformed UTF-8, stream names that cannot be file names in a mount or
 * that repeat, and bytes after the hint unless the minor version is newer than {@link
 * #MINOR_VERSION}. Immutable.
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

  /** 1.1 added content hash algorithm 2 (XXH3-128); everything else is as in 1.0. */
  public static final int MINOR_VERSION = 1;

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
  private static final int FLAG_PARENT = 1;
  private static final int FLAG_ENCRYPTED = 2;
  private static final int FLAG_DICTIONARY = 4;
  private static final int KNOWN_FLAGS = FLAG_PARENT | FLAG_ENCRYPTED | FLAG_DICTIONARY;

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
      int minor = Short.toUnsignedInt(b.getShort());
      b.getInt();
      SnapshotId id = SnapshotId.read(b);
      long created = b.getLong();
      int log2 = Byte.toUnsignedInt(b.get());
      int codecId = Byte.toUnsignedInt(b.get());
      int level = b.get();
      int hash = Byte.toUnsignedInt(b.get());
      int perPage = b.getInt();
      int flags = b.getInt();
      int dictLen = b.getInt();
      int dictCrc = b.getInt();
      int streams = Byte.toUnsignedInt(b.get());
      int reserved61 = Byte.toUnsignedInt(b.get()) | Short.toUnsignedInt(b.getShort()) << 8;
      SnapshotId parent = SnapshotId.read(b);
      int cipher = Byte.toUnsignedInt(b.get());
      int kdf = Byte.toUnsignedInt(b.get());
      int reserved82 = Short.toUnsignedInt(b.getShort());
      int iterations = b.getInt();
      byte[] salt = new byte[16];
      b.get(salt);
      byte[] check = new byte[16];
      b.get(check);

      // In layout order, so that the message names the first field a header gets wrong.
      CodecType codec = CodecType.byId(codecId);
      refuse(
          codec == null,
          source,
          "unsupported snapshot: codec id "
              + codecId
              + " (this cairn knows 0 none, 1 lz4, 2 zstd)");
      refuse(
          log2 < MIN_BLOCK_LOG2 || log2 > MAX_BLOCK_LOG2,
          source,
          "unsupported snapshot: block size 2^"
              + log2
              + " (this cairn reads 2^12 to 2^20, 4 KiB to 1 MiB)");
      HashAlgorithm contentHash = HashAlgorithm.byId(hash);
      refuse(
          contentHash == null,
          source,
          "unsupported snapshot: unknown content hash algorithm "
              + hash
              + " (written by a newer cairn?)");
      refuse(
          minor < contentHash.sinceMinorVersion(),
          source,
          "invalid snapshot: content hash algorithm "
              + hash
              + " ("
              + contentHash.displayName()
              + ") needs format 1."
              + contentHash.sinceMinorVersion()
              + ", the header says 1."
              + minor);
      refuse(
          perPage <= 0 || perPage > MAX_ENTRIES_PER_PAGE,
          source,
          "unsupported snapshot: "
              + Integer.toUnsignedString(perPage)
              + " index entries per page (this cairn reads 1 to "
              + MAX_ENTRIES_PER_PAGE
              + ")");
      refuse(
          (flags & ~KNOWN_FLAGS) != 0,
          source,
          "unsupported snapshot: unknown header flags 0x"
              + Integer.toHexString(flags & ~KNOWN_FLAGS)
              + " (written by a newer cairn?)");
      boolean dictionaryFlag = (flags & FLAG_DICTIONARY) != 0;
      refuse(
          dictionaryFlag != (dictLen != 0),
          source,
          "invalid snapshot: the dictionary flag is "
              + (dictionaryFlag ? "set" : "clear")
              + " but the dictionary length is "
              + Integer.toUnsignedString(dictLen));
      refuse(
          Integer.compareUnsigned(dictLen, MAX_DICTIONARY_LENGTH) > 0,
          source,
          "unsupported snapshot: dictionary length "
              + Integer.toUnsignedString(dictLen)
              + " (at most 4 MiB)");
      refuse(
          dictLen != 0 && codec != CodecType.ZSTD,
          source,
          "invalid snapshot: a compression dictionary with codec "
              + codec.displayName()
              + " (only zstd uses one)");
      refuse(
          streams < 1 || streams > MAX_STREAMS,
          source,
          "unsupported snapshot: stream count " + streams + " (this cairn reads 1 or 2)");
      refuse(
          reserved61 != 0,
          source,
          "unsupported snapshot: reserved header bytes 61-63 are not zero (written by a newer"
              + " cairn?)");
      refuse(id.isNone(), source, "invalid snapshot: the snapshot id is zero");
      boolean parentFlag = (flags & FLAG_PARENT) != 0;
      refuse(
          parentFlag == parent.isNone(),
          source,
          parentFlag
              ? "invalid snapshot: the parent flag is set but the parent id is zero"
              : "invalid snapshot: parent id " + parent + " is set but the parent flag is not");
      refuse(
          cipher > Encryption.CIPHER_AES_256_GCM,
          source,
          "unsupported snapshot: unknown cipher " + cipher + " (written by a newer cairn?)");
      refuse(
          kdf > 2,
          source,
          "unsupported snapshot: unknown key derivation " + kdf + " (written by a newer cairn?)");
      refuse(
          reserved82 != 0,
          source,
          "unsupported snapshot: reserved header bytes 82-83 are not zero (written by a newer"
              + " cairn?)");
      boolean encryptedFlag = (flags & FLAG_ENCRYPTED) != 0;
      refuse(
          encryptedFlag && cipher == Encryption.CIPHER_NONE,
          source,
          "invalid snapshot: the encrypted flag is set but the cipher is 0 (none)");
      refuse(
          !encryptedFlag && cipher != Encryption.CIPHER_NONE,
          source,
          "invalid snapshot: cipher 1 (AES-256-GCM) but the encrypted flag is not set");
      // Decryption is not built yet: reading the stored bytes as data would return ciphertext.
      refuse(
          encryptedFlag,
          source,
          "snapshot is encrypted (AES-256-GCM); this cairn cannot read encrypted snapshots yet");
      refuse(
          kdf != 0 || iterations != 0 || !isZero(salt) || !isZero(check),
          source,
          "invalid snapshot: key derivation fields (bytes 81-119) are set but the snapshot is not"
              + " encrypted");

      String[] names = new String[streams];
      for (int i = 0; i < streams; i++) {
        String what = "stream name " + i;
        names[i] = readString(b, MAX_NAME_BYTES, source, what);
        refuse(
            !isValidStreamName(names[i]),
            source,
            "invalid snapshot: " + what + " '" + names[i] + "' cannot be a file name in a mount");
      }
      refuse(
          streams == 2 && names[0].equals(names[1]),
          source,
          "invalid snapshot: both streams are named '" + names[0] + "'");
      String hint = readString(b, MAX_HINT_BYTES, source, "parent path hint");
      refuse(
          hint.indexOf('\0') >= 0, source, "invalid snapshot: the parent path hint contains a NUL");
      // A later minor version may append fields here that older readers skip; up to this one there
      // are none, so bytes there were not written by a Cairn writer.
      refuse(
          minor <= MINOR_VERSION && b.hasRemaining(),
          source,
          "invalid snapshot: "
              + b.remaining()
              + " bytes between the parent path hint and the header checksum, which format 1."
              + minor
              + " does not define");
      return new Header(
          minor,
          id,
          created,
          log2,
          codec,
          level,
          contentHash,
          perPage,
          dictLen,
          dictCrc,
          List.of(names),
          parent,
          hint,
          Encryption.NONE);
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
        (hasParent() ? FLAG_PARENT : 0)
            | (encryption.enabled() ? FLAG_ENCRYPTED : 0)
            | (dictionaryLength > 0 ? FLAG_DICTIONARY : 0);
    b.putInt(flags);
    b.putInt(dictionaryLength);
    b.putInt(dictionaryCrc);
    b.put((byte) names.length);
    b.put(new byte[3]);
    parentId.write(b);
    b.put((byte) encryption.cipher());
    b.put((byte) encryption.kdf());
    b.putShort((short) 0);
    b.putInt(encryption.iterations());
    b.put(encryption.salt());
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

  private static String readString(ByteBuffer b, int max, String source, String what)
      throws UnsupportedSnapshotException {
    int n = Short.toUnsignedInt(b.getShort());
    refuse(
        n > max,
        source,
        "invalid snapshot: " + what + " is " + n + " bytes long (at most " + max + ")");
    refuse(
        n > b.remaining(),
        source,
        "invalid snapshot: " + what + " is " + n + " bytes long, which runs past the header");
    ByteBuffer bytes = b.slice(b.position(), n);
    b.position(b.position() + n);
    try {
      // Strict: a lenient decoder turns every malformed sequence into U+FFFD, so two different
      // byte strings could become one name.
      return StandardCharsets.UTF_8
          .newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(bytes)
          .toString();
    } catch (CharacterCodingException e) {
      throw new UnsupportedSnapshotException(
          source, "invalid snapshot: " + what + " is not valid UTF-8");
    }
  }

  private static boolean isZero(byte[] bytes) {
    for (byte x : bytes) {
      if (x != 0) {
        return false;
      }
    }
    return true;
  }

  private static void refuse(boolean refused, String source, String what)
      throws UnsupportedSnapshotException {
    if (refused) {
      throw new UnsupportedSnapshotException(source, what);
    }
  }
}
