package dev.cairn.trust;

import dev.cairn.crypto.BlockDigest;
import dev.cairn.error.UntrustedSnapshotException;
import dev.cairn.sign.SigningKey;
import dev.cairn.sign.TrustedKey;
import dev.cairn.source.ByteSource;
import dev.cairn.source.Sidecar;
import java.io.EOFException;
import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.spec.InvalidKeySpecException;
import java.util.Arrays;

/**
 * A detached signature file, {@code SNAP.sig}: the digest of every chunk of the snapshot file, a
 * table of digests of those digests, and who signed the {@link Statement} that roots the table.
 * Written front to back in one pass over the snapshot (the digests first, the signature last); read
 * from both ends: the prefix and tail here, the digest pages on demand ({@link VerifiedSource}).
 * Layout, little-endian:
 *
 * <pre>
 * offset       length  field
 *      0            8  magic "CAIRNSIG"
 *      8            2  version: 1
 *     10            1  digest: 1 = SHA-256
 *     11            1  signature: 1 = Ed25519 (RFC 8032, pure)
 *     12            4  zero
 *     16         32*C  the digest pages: the SHA-256 of each chunk of the snapshot file, in order
 *                      (C chunks: the file size divided by the chunk size, rounded up; the last
 *                      chunk may be short), D per page, the last page holding the rest
 *     16+32C        T  the digest table; the statement's root is its SHA-256:
 *                        0   1  chunk size as a power of two, 12..20
 *                        1   3  zero
 *                        4   4  D: digests per digest page, 1..65536
 *                        8   4  P: digest pages
 *                       12   4  zero
 *                       16 32P  SHA-256 of each digest page's bytes, in order
 *   size-232            4  T
 *   size-228            4  zero
 *   size-224           32  the signer's Ed25519 public key (raw)
 *   size-192           64  the signature of the statement's 128 bytes
 *   size-128          128  the statement ({@link Statement})
 * </pre>
 *
 * A file is refused unless every length follows from the statement's file size, the chunk size and
 * D, so that nothing in it is unaccounted for.
 *
 * <p>Immutable; thread-safe.
 */
public final class SignatureFile {
  /** What a signature file's name adds to its snapshot's. */
  public static final String SUFFIX = ".sig";

  /** Where the signature file of the snapshot file {@code snapshot} is: next to it. */
  public static Path siblingOf(Path snapshot) {
    return Sidecar.of(snapshot, SUFFIX);
  }

  /**
   * Where the signature file of the remote snapshot {@code snapshot} is: {@code .sig} added to its
   * URL's path (a query, if any, kept).
   */
  public static URI siblingOf(URI snapshot) {
    return Sidecar.of(snapshot, SUFFIX);
  }

  /** The default chunk size: a page of a block device, dm-verity's unit. */
  public static final int DEFAULT_CHUNK_LOG2 = 12;

  /** Digests per digest page written: 32 KiB pages, each covering 4 MiB of file at 4 KiB. */
  public static final int DEFAULT_PER_PAGE = 1024;

  static final int PREFIX_LENGTH = 16;
  static final int TAIL_LENGTH = 232;
  static final int TABLE_FIXED = 16;
  private static final int VERSION = 1;
  private static final int SHA256 = 1;
  private static final int ED25519 = 1;
  private static final int MAX_TABLE_LENGTH = 64 << 20;
  private static final byte[] MAGIC = "CAIRNSIG".getBytes(StandardCharsets.US_ASCII);

  private final TrustedKey signer;
  private final byte[] signature;
  private final Statement statement;
  private final int chunkLog2;
  private final int perPage;
  private final byte[] pageDigests;

  private SignatureFile(
      TrustedKey signer,
      byte[] signature,
      Statement statement,
      int chunkLog2,
      int perPage,
      byte[] pageDigests) {
    this.signer = signer;
    this.signature = signature;
    this.statement = statement;
    this.chunkLog2 = chunkLog2;
    this.perPage = perPage;
    this.pageDigests = pageDigests;
  }

  /**
   * Reads and checks the prefix, table and tail of the signature file {@code sig}: its structure
   * only, not whether the signature verifies or is by a trusted key ({@link SignatureCheck} does
   * that).
   *
   * @throws UntrustedSnapshotException naming {@code sig} if it is not a well-formed signature file
   */
  public static SignatureFile read(ByteSource sig) throws IOException {
    String name = sig.describe();
    long size = sig.size();
    if (size < PREFIX_LENGTH + TAIL_LENGTH) {
      throw bad(name, "not a Cairn signature file (" + size + " bytes)");
    }
    ByteBuffer prefix = read(sig, 0, PREFIX_LENGTH, name);
    byte[] magic = new byte[MAGIC.length];
    prefix.get(magic);
    if (!Arrays.equals(magic, MAGIC)) {
      throw bad(name, "not a Cairn signature file (no CAIRNSIG magic)");
    }
    int version = Short.toUnsignedInt(prefix.getShort());
    if (version != VERSION) {
      throw bad(name, "signature file version " + version + " is not supported (this cairn: 1)");
    }
    int digest = Byte.toUnsignedInt(prefix.get());
    int algorithm = Byte.toUnsignedInt(prefix.get());
    if (digest != SHA256 || algorithm != ED25519) {
      throw bad(name, "unknown digest " + digest + " or signature algorithm " + algorithm);
    }
    ByteBuffer tail = read(sig, size - TAIL_LENGTH, TAIL_LENGTH, name);
    long tableLength = Integer.toUnsignedLong(tail.getInt());
    tail.getInt();
    byte[] raw = new byte[TrustedKey.RAW_LENGTH];
    tail.get(raw);
    TrustedKey signer;
    try {
      signer = TrustedKey.fromRaw(raw);
    } catch (InvalidKeySpecException e) {
      throw bad(name, "the signer's public key is not an Ed25519 key");
    }
    byte[] signature = new byte[TrustedKey.SIGNATURE_LENGTH];
    tail.get(signature);
    Statement statement = Statement.decode(tail);
    if (statement == null) {
      throw bad(name, "the signed statement does not start with its context string");
    }
    if (tableLength < TABLE_FIXED
        || tableLength > MAX_TABLE_LENGTH
        || tableLength > size - PREFIX_LENGTH - TAIL_LENGTH) {
      throw bad(name, "digest table length " + tableLength + " is out of range");
    }
    ByteBuffer table = read(sig, size - TAIL_LENGTH - tableLength, (int) tableLength, name);
    int chunkLog2 = Byte.toUnsignedInt(table.get());
    if (chunkLog2 < 12 || chunkLog2 > 20 || table.get() != 0 || table.getShort() != 0) {
      throw bad(name, "chunk size 2^" + chunkLog2 + " is out of range (2^12..2^20)");
    }
    int perPage = table.getInt();
    long pages = Integer.toUnsignedLong(table.getInt());
    if (perPage < 1 || perPage > 65536 || table.getInt() != 0) {
      throw bad(name, "digests per page " + perPage + " is out of range (1..65536)");
    }
    long chunks = chunks(statement.fileSize(), chunkLog2);
    if (statement.fileSize() < 1 || pages != (chunks + perPage - 1) / perPage) {
      throw bad(name, "digest table does not fit a file of " + statement.fileSize() + " bytes");
    }
    if (tableLength != TABLE_FIXED + pages * BlockDigest.LENGTH) {
      throw bad(
          name, "digest table length " + tableLength + " does not fit its " + pages + " pages");
    }
    long expected = PREFIX_LENGTH + chunks * BlockDigest.LENGTH + tableLength + TAIL_LENGTH;
    if (size != expected) {
      throw bad(name, "is " + size + " bytes long, its table says " + expected);
    }
    byte[] pageDigests = new byte[(int) (pages * BlockDigest.LENGTH)];
    table.get(pageDigests);
    return new SignatureFile(signer, signature, statement, chunkLog2, perPage, pageDigests);
  }

  /** The 16 bytes a signature file starts with. */
  static ByteBuffer encodePrefix() {
    ByteBuffer b = ByteBuffer.allocate(PREFIX_LENGTH).order(ByteOrder.LITTLE_ENDIAN);
    b.put(MAGIC).putShort((short) VERSION).put((byte) SHA256).put((byte) ED25519).putInt(0);
    return b.flip();
  }

  /** The bytes a signature file ends with: {@code table}, then the tail signed by {@code key}. */
  static ByteBuffer encodeEnd(SigningKey key, Statement statement, byte[] table) {
    ByteBuffer b = ByteBuffer.allocate(table.length + TAIL_LENGTH).order(ByteOrder.LITTLE_ENDIAN);
    b.put(table).putInt(table.length).putInt(0);
    b.put(key.publicKey().raw());
    b.put(key.sign(statement.encode()));
    b.put(statement.encode());
    return b.flip();
  }

  /** The digest table for {@code pageDigests}: what a statement's root is the SHA-256 of. */
  static byte[] encodeTable(int chunkLog2, int perPage, byte[] pageDigests) {
    ByteBuffer b =
        ByteBuffer.allocate(TABLE_FIXED + pageDigests.length).order(ByteOrder.LITTLE_ENDIAN);
    b.put((byte) chunkLog2).put((byte) 0).putShort((short) 0);
    b.putInt(perPage).putInt(pageDigests.length / BlockDigest.LENGTH).putInt(0);
    b.put(pageDigests);
    return b.array();
  }

  /** The number of chunks of {@code 2^chunkLog2} bytes a file of {@code size} bytes has. */
  static long chunks(long size, int chunkLog2) {
    return (size + (1L << chunkLog2) - 1) >>> chunkLog2;
  }

  /** The table's bytes, as signed: its SHA-256 is the root. */
  byte[] table() {
    return encodeTable(chunkLog2, perPage, pageDigests);
  }

  /** Whether the signature is a valid signature of the statement by {@link #signer()}. */
  public boolean signatureValid() {
    return signer.verify(statement.encode(), signature);
  }

  /** The key that made the signature (not necessarily trusted). */
  public TrustedKey signer() {
    return signer;
  }

  /** What was signed. */
  public Statement statement() {
    return statement;
  }

  /** log2 of the bytes each digest covers. */
  public int chunkLog2() {
    return chunkLog2;
  }

  /** Digests per digest page. */
  int perPage() {
    return perPage;
  }

  /** The number of digest pages. */
  int pages() {
    return pageDigests.length / BlockDigest.LENGTH;
  }

  /** Whether {@code digest[0, 32)} is the signed digest of page {@code page}. */
  boolean pageDigestIs(int page, byte[] digest) {
    int at = page * BlockDigest.LENGTH;
    return Arrays.equals(pageDigests, at, at + BlockDigest.LENGTH, digest, 0, BlockDigest.LENGTH);
  }

  /** Where digest page {@code page} starts in the signature file. */
  long pageOffset(int page) {
    return PREFIX_LENGTH + (long) page * perPage * BlockDigest.LENGTH;
  }

  /** The digests page {@code page} holds. */
  int pageEntries(int page) {
    long chunks = chunks(statement.fileSize(), chunkLog2);
    return (int) Math.min(perPage, chunks - (long) page * perPage);
  }

  private static ByteBuffer read(ByteSource sig, long pos, int len, String name)
      throws IOException {
    ByteBuffer b = ByteBuffer.allocate(len).order(ByteOrder.LITTLE_ENDIAN);
    try {
      sig.readFully(pos, b);
    } catch (EOFException e) {
      throw bad(name, "signature file is truncated");
    }
    return b.flip();
  }

  private static UntrustedSnapshotException bad(String name, String what) {
    return new UntrustedSnapshotException(name, what);
  }
}
