package dev.cairn.format;

import dev.cairn.crypto.KeyDerivation;
import dev.cairn.error.UnsupportedSnapshotException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * The checks a header's fields must pass before anything else of a snapshot is read: a header whose
 * CRC holds was not damaged by accident, so every value this reader does not implement, or that
 * breaks the format's rules, is refused with an {@link UnsupportedSnapshotException} naming the
 * field and its value, in layout order (the message names the first field a header gets wrong).
 * {@link Header} parses and encodes; this class only judges.
 *
 * <p>Stateless; thread-safe.
 */
final class HeaderRules {
  static final int FLAG_PARENT = 1;
  static final int FLAG_ENCRYPTED = 2;
  static final int FLAG_DICTIONARY = 4;
  static final int KNOWN_FLAGS = FLAG_PARENT | FLAG_ENCRYPTED | FLAG_DICTIONARY;

  static final int KDF_NONE = 0;
  static final int KDF_KEY_FILE = 1;
  static final int KDF_ARGON2ID = 2;

  /** Format 1.2 added encryption (cipher 1, key derivations 1 and 2). */
  static final int ENCRYPTION_SINCE_MINOR = 2;

  private HeaderRules() {}

  /** The fixed-position fields, bytes 10 to 119, as stored (not yet judged). */
  record Fixed(
      int minor,
      SnapshotId id,
      long created,
      int log2,
      int codecId,
      int level,
      int hash,
      int perPage,
      int flags,
      int dictLen,
      int dictCrc,
      int streams,
      int reserved61,
      SnapshotId parent,
      int cipher,
      int kdf,
      int kdfMemoryLog2,
      int kdfParallelism,
      int kdfIterations,
      byte[] salt,
      byte[] keyCheck) {

    /** Reads the fields from {@code b} positioned at byte 10 (the minor version). */
    static Fixed read(ByteBuffer b) {
      int minor = Short.toUnsignedInt(b.getShort());
      b.getInt(); // header length, checked by Header.peekLength
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
      int memory = Byte.toUnsignedInt(b.get());
      int parallelism = Byte.toUnsignedInt(b.get());
      int iterations = b.getInt();
      byte[] salt = new byte[KeyDerivation.SALT_LENGTH];
      b.get(salt);
      byte[] check = new byte[Encryption.KEY_CHECK_LENGTH];
      b.get(check);
      return new Fixed(
          minor,
          id,
          created,
          log2,
          codecId,
          level,
          hash,
          perPage,
          flags,
          dictLen,
          dictCrc,
          streams,
          reserved61,
          parent,
          cipher,
          kdf,
          memory,
          parallelism,
          iterations,
          salt,
          check);
    }

    /** The encryption these fields describe (call after {@link #checkFixed} accepted them). */
    Encryption encryption() {
      if (cipher == Encryption.CIPHER_NONE) {
        return Encryption.NONE;
      }
      KeyDerivation d =
          kdf == KDF_KEY_FILE
              ? new KeyDerivation.RawKey()
              : new KeyDerivation.Argon2id(kdfMemoryLog2, kdfIterations, kdfParallelism, salt);
      return new Encryption(cipher, d, keyCheck);
    }
  }

  static void checkFixed(Fixed f, String source) throws UnsupportedSnapshotException {
    CodecType codec = CodecType.byId(f.codecId());
    refuse(
        codec == null,
        source,
        "unsupported snapshot: codec id "
            + f.codecId()
            + " (this cairn knows 0 none, 1 lz4, 2 zstd)");
    refuse(
        f.log2() < Header.MIN_BLOCK_LOG2 || f.log2() > Header.MAX_BLOCK_LOG2,
        source,
        "unsupported snapshot: block size 2^"
            + f.log2()
            + " (this cairn reads 2^12 to 2^20, 4 KiB to 1 MiB)");
    HashAlgorithm contentHash = HashAlgorithm.byId(f.hash());
    refuse(
        contentHash == null,
        source,
        "unsupported snapshot: unknown content hash algorithm "
            + f.hash()
            + " (written by a newer cairn?)");
    refuse(
        f.minor() < contentHash.sinceMinorVersion(),
        source,
        "invalid snapshot: content hash algorithm "
            + f.hash()
            + " ("
            + contentHash.displayName()
            + ") needs format 1."
            + contentHash.sinceMinorVersion()
            + ", the header says 1."
            + f.minor());
    refuse(
        f.perPage() <= 0 || f.perPage() > Header.MAX_ENTRIES_PER_PAGE,
        source,
        "unsupported snapshot: "
            + Integer.toUnsignedString(f.perPage())
            + " index entries per page (this cairn reads 1 to "
            + Header.MAX_ENTRIES_PER_PAGE
            + ")");
    refuse(
        (f.flags() & ~KNOWN_FLAGS) != 0,
        source,
        "unsupported snapshot: unknown header flags 0x"
            + Integer.toHexString(f.flags() & ~KNOWN_FLAGS)
            + " (written by a newer cairn?)");
    boolean dictionaryFlag = (f.flags() & FLAG_DICTIONARY) != 0;
    refuse(
        dictionaryFlag != (f.dictLen() != 0),
        source,
        "invalid snapshot: the dictionary flag is "
            + (dictionaryFlag ? "set" : "clear")
            + " but the dictionary length is "
            + Integer.toUnsignedString(f.dictLen()));
    refuse(
        Integer.compareUnsigned(
                f.dictLen(),
                Header.MAX_DICTIONARY_LENGTH
                    + ((f.flags() & FLAG_ENCRYPTED) != 0 ? SnapshotSeal.TAG : 0))
            > 0,
        source,
        "unsupported snapshot: dictionary length "
            + Integer.toUnsignedString(f.dictLen())
            + " (at most 4 MiB)");
    refuse(
        f.dictLen() != 0 && codec != CodecType.ZSTD,
        source,
        "invalid snapshot: a compression dictionary with codec "
            + codec.displayName()
            + " (only zstd uses one)");
    refuse(
        f.streams() < 1 || f.streams() > Header.MAX_STREAMS,
        source,
        "unsupported snapshot: stream count " + f.streams() + " (this cairn reads 1 or 2)");
    refuse(
        f.reserved61() != 0,
        source,
        "unsupported snapshot: reserved header bytes 61-63 are not zero (written by a newer"
            + " cairn?)");
    refuse(f.id().isNone(), source, "invalid snapshot: the snapshot id is zero");
    boolean parentFlag = (f.flags() & FLAG_PARENT) != 0;
    refuse(
        parentFlag == f.parent().isNone(),
        source,
        parentFlag
            ? "invalid snapshot: the parent flag is set but the parent id is zero"
            : "invalid snapshot: parent id " + f.parent() + " is set but the parent flag is not");
    checkEncryption(f, source);
  }

  private static void checkEncryption(Fixed f, String source) throws UnsupportedSnapshotException {
    refuse(
        f.cipher() > Encryption.CIPHER_AES_256_GCM,
        source,
        "unsupported snapshot: unknown cipher " + f.cipher() + " (written by a newer cairn?)");
    refuse(
        f.kdf() > KDF_ARGON2ID,
        source,
        "unsupported snapshot: unknown key derivation " + f.kdf() + " (written by a newer cairn?)");
    // Before 1.2, bytes 82-83 were reserved; since, they hold the Argon2id memory and lanes.
    refuse(
        f.minor() < ENCRYPTION_SINCE_MINOR && (f.kdfMemoryLog2() | f.kdfParallelism()) != 0,
        source,
        "unsupported snapshot: reserved header bytes 82-83 are not zero (written by a newer"
            + " cairn?)");
    boolean encryptedFlag = (f.flags() & FLAG_ENCRYPTED) != 0;
    refuse(
        encryptedFlag && f.cipher() == Encryption.CIPHER_NONE,
        source,
        "invalid snapshot: the encrypted flag is set but the cipher is 0 (none)");
    refuse(
        !encryptedFlag && f.cipher() != Encryption.CIPHER_NONE,
        source,
        "invalid snapshot: cipher 1 (AES-256-GCM) but the encrypted flag is not set");
    if (!encryptedFlag) {
      refuse(
          f.kdf() != KDF_NONE
              || f.kdfMemoryLog2() != 0
              || f.kdfParallelism() != 0
              || f.kdfIterations() != 0
              || !isZero(f.salt())
              || !isZero(f.keyCheck()),
          source,
          "invalid snapshot: key derivation fields (bytes 81-119) are set but the snapshot is not"
              + " encrypted");
      return;
    }
    refuse(
        f.minor() < ENCRYPTION_SINCE_MINOR,
        source,
        "invalid snapshot: encryption needs format 1."
            + ENCRYPTION_SINCE_MINOR
            + ", the header says 1."
            + f.minor());
    refuse(f.kdf() == KDF_NONE, source, "invalid snapshot: encrypted, but key derivation 0 (none)");
    if (f.kdf() == KDF_KEY_FILE) {
      refuse(
          f.kdfMemoryLog2() != 0
              || f.kdfParallelism() != 0
              || f.kdfIterations() != 0
              || !isZero(f.salt()),
          source,
          "invalid snapshot: key derivation 1 (key file) with passphrase parameters");
    } else {
      String why =
          KeyDerivation.Argon2id.refusal(f.kdfMemoryLog2(), f.kdfIterations(), f.kdfParallelism());
      refuse(why != null, source, "unsupported snapshot: " + why);
    }
  }

  /** Reads stream name {@code i} and refuses one that cannot be a file name in a mount. */
  static String readName(ByteBuffer b, int i, String source) throws UnsupportedSnapshotException {
    String what = "stream name " + i;
    String name = readString(b, Header.MAX_NAME_BYTES, source, what);
    refuse(
        !Header.isValidStreamName(name),
        source,
        "invalid snapshot: " + what + " '" + name + "' cannot be a file name in a mount");
    return name;
  }

  /** Reads the parent path hint. */
  static String readHint(ByteBuffer b, String source) throws UnsupportedSnapshotException {
    String hint = readString(b, Header.MAX_HINT_BYTES, source, "parent path hint");
    refuse(
        hint.indexOf('\0') >= 0, source, "invalid snapshot: the parent path hint contains a NUL");
    return hint;
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

  static void refuse(boolean refused, String source, String what)
      throws UnsupportedSnapshotException {
    if (refused) {
      throw new UnsupportedSnapshotException(source, what);
    }
  }
}
