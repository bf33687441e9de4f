package dev.cairn.format;

import dev.cairn.crypto.Aead;
import dev.cairn.crypto.Hkdf;
import dev.cairn.crypto.KeyRing;
import dev.cairn.error.CairnException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;

/**
 * AES-256-GCM for one encrypted snapshot (format 1.2, cipher 1): seals and opens its blocks' stored
 * bytes, the entries of its index pages and its compression dictionary, and computes the tag that
 * authenticates its header and footer.
 *
 * <p>Keys. The master key M (32 bytes) comes from the user's secret through the header's key
 * derivation. The snapshot seals under its own data key K = HKDF-SHA256(IKM M, salt = the 16-byte
 * snapshot id, info "cairn 1.2 data key", 32 bytes); its header holds the key check HKDF-SHA256(M,
 * salt = snapshot id, info "cairn 1.2 key check", 16 bytes), which tells a wrong key from damage
 * and reveals nothing of K.
 *
 * <p>Nonces (12 bytes): byte 0 the domain (1 block, 2 index page, 3 dictionary, 4 footer), byte 1
 * the stream index (0 for dictionary and footer), bytes 2-3 zero, bytes 4-11 the block index (for a
 * page, the index of its first block), little-endian (0 for dictionary and footer). Within one
 * snapshot each (domain, stream, index) is sealed exactly once, since the writer writes front to
 * back and never rewrites; across snapshots the data key differs, because every snapshot gets a
 * fresh random id. So no nonce repeats under one key.
 *
 * <p>Associated data: the snapshot id (16 bytes) followed by the nonce (12 bytes), so a sealed
 * block or page opens only at its own place in its own snapshot: swapping two blocks, moving one to
 * another stream, or splicing one from another snapshot (even under the same master key) fails the
 * tag. The footer's tag is a GCM tag over an empty plaintext whose associated data is the snapshot
 * id, the footer nonce, the whole header as stored (so every header field is authenticated, the key
 * check and derivation parameters included) and the footer's bytes before the tag.
 *
 * <p>Thread-safe: the key is immutable and each thread keeps its own nonce and AAD buffers.
 */
public final class SnapshotSeal {
  /** Bytes a sealed structure carries beyond its plaintext: the GCM tag. */
  public static final int TAG = Aead.TAG_LENGTH;

  static final int DOMAIN_BLOCK = 1;
  static final int DOMAIN_PAGE = 2;
  static final int DOMAIN_DICTIONARY = 3;
  static final int DOMAIN_FOOTER = 4;

  private static final byte[] DATA_KEY_INFO = ascii("cairn 1.2 data key");
  private static final byte[] KEY_CHECK_INFO = ascii("cairn 1.2 key check");
  private static final int ID_LENGTH = 16;
  private static final int AAD_LENGTH = ID_LENGTH + Aead.NONCE_LENGTH;

  private final Aead aead;
  private final byte[] id;
  private final byte[] masterKey;
  private final ThreadLocal<Scratch> scratch;

  /** Per-thread nonce and associated-data buffers. */
  private static final class Scratch {
    final byte[] nonce = new byte[Aead.NONCE_LENGTH];
    final byte[] aad = new byte[AAD_LENGTH];
    final ByteBuffer nonceView = ByteBuffer.wrap(nonce).order(ByteOrder.LITTLE_ENDIAN);
  }

  private SnapshotSeal(byte[] masterKey, SnapshotId snapshotId) {
    this.id = snapshotId.toBytes();
    this.masterKey = masterKey.clone();
    this.aead = Aead.of(Hkdf.derive(masterKey, id, DATA_KEY_INFO, Aead.KEY_LENGTH));
    this.scratch =
        ThreadLocal.withInitial(
            () -> {
              Scratch s = new Scratch();
              System.arraycopy(id, 0, s.aad, 0, id.length);
              return s;
            });
  }

  /** The key check of {@code masterKey} for snapshot {@code id}: header bytes 104-119. */
  public static byte[] keyCheck(byte[] masterKey, SnapshotId id) {
    return Hkdf.derive(masterKey, id.toBytes(), KEY_CHECK_INFO, Encryption.KEY_CHECK_LENGTH);
  }

  /**
   * The seal of an encrypted snapshot with {@code header}, unlocked with the first of {@code keys}
   * that passes its key check; null for a plain snapshot.
   *
   * @param what the snapshot's name, for the missing-key and wrong-key messages
   */
  public static SnapshotSeal unlock(Header header, KeyRing keys, String what)
      throws CairnException {
    Encryption e = header.encryption();
    if (!e.enabled()) {
      return null;
    }
    byte[] want = e.keyCheck();
    byte[] master =
        keys.unlock(
            e.kdf(), m -> MessageDigest.isEqual(keyCheck(m, header.snapshotId()), want), what);
    return new SnapshotSeal(master, header.snapshotId());
  }

  /** The seal a writer uses for a new snapshot {@code id} under {@code sealing}'s master key. */
  public static SnapshotSeal forWriting(KeyRing.Sealing sealing, SnapshotId id) {
    return new SnapshotSeal(sealing.masterKey(), id);
  }

  /** The header's encryption fields for a new snapshot {@code id} sealed with {@code sealing}. */
  public static Encryption encryption(KeyRing.Sealing sealing, SnapshotId id) {
    return new Encryption(
        Encryption.CIPHER_AES_256_GCM, sealing.kdf(), keyCheck(sealing.masterKey(), id));
  }

  /**
   * A key for something sealed alongside this snapshot under the same secret (an overlay on it):
   * HKDF-SHA256 of the master key with {@code salt} and {@code info}, independent of the data key.
   */
  public byte[] subkey(byte[] salt, byte[] info) {
    return Hkdf.derive(masterKey, salt, info, Aead.KEY_LENGTH);
  }

  /** Seals block {@code block} of stream {@code stream}: {@code in} to {@code out}, plus a tag. */
  public void sealBlock(int stream, long block, ByteBuffer in, ByteBuffer out) {
    Scratch s = prepare(DOMAIN_BLOCK, stream, block);
    aead.seal(s.nonce, s.aad, in, out);
  }

  /**
   * Opens block {@code block} of stream {@code stream}; false if it is not what was sealed there.
   */
  public boolean openBlock(int stream, long block, ByteBuffer in, ByteBuffer out) {
    Scratch s = prepare(DOMAIN_BLOCK, stream, block);
    return aead.open(s.nonce, s.aad, in, out);
  }

  /** Seals the entries of the page of stream {@code stream} that starts at block {@code page}. */
  public void sealPage(int stream, long page, ByteBuffer in, ByteBuffer out) {
    Scratch s = prepare(DOMAIN_PAGE, stream, page);
    aead.seal(s.nonce, s.aad, in, out);
  }

  /** Opens the entries of the page of stream {@code stream} that starts at block {@code page}. */
  public boolean openPage(int stream, long page, ByteBuffer in, ByteBuffer out) {
    Scratch s = prepare(DOMAIN_PAGE, stream, page);
    return aead.open(s.nonce, s.aad, in, out);
  }

  /** The sealed form of a compression dictionary (its plaintext is trained on the data). */
  public byte[] sealDictionary(byte[] dictionary) {
    Scratch s = prepare(DOMAIN_DICTIONARY, 0, 0);
    ByteBuffer out = ByteBuffer.allocate(dictionary.length + TAG);
    aead.seal(s.nonce, s.aad, ByteBuffer.wrap(dictionary), out);
    return out.array();
  }

  /** The dictionary sealed in {@code sealed}, or null if it is not what was sealed. */
  public byte[] openDictionary(ByteBuffer sealed) {
    if (sealed.remaining() < TAG) {
      return null;
    }
    Scratch s = prepare(DOMAIN_DICTIONARY, 0, 0);
    ByteBuffer out = ByteBuffer.allocate(sealed.remaining() - TAG);
    return aead.open(s.nonce, s.aad, sealed, out) ? out.array() : null;
  }

  /** The footer tag over the stored header bytes and the footer bytes before the tag. */
  public byte[] footerTag(ByteBuffer header, ByteBuffer footer) {
    Scratch s = prepare(DOMAIN_FOOTER, 0, 0);
    return aead.tag(s.nonce, footerAad(s, header, footer));
  }

  /** Whether {@code tag} authenticates {@code header} and {@code footer}. */
  public boolean verifyFooter(ByteBuffer header, ByteBuffer footer, byte[] tag) {
    Scratch s = prepare(DOMAIN_FOOTER, 0, 0);
    return aead.verifyTag(s.nonce, footerAad(s, header, footer), tag);
  }

  private static byte[] footerAad(Scratch s, ByteBuffer header, ByteBuffer footer) {
    ByteBuffer aad = ByteBuffer.allocate(AAD_LENGTH + header.remaining() + footer.remaining());
    aad.put(s.aad).put(header.duplicate()).put(footer.duplicate());
    return aad.array();
  }

  private Scratch prepare(int domain, int stream, long index) {
    Scratch s = scratch.get();
    s.nonceView
        .put(0, (byte) domain)
        .put(1, (byte) stream)
        .putShort(2, (short) 0)
        .putLong(4, index);
    System.arraycopy(s.nonce, 0, s.aad, ID_LENGTH, Aead.NONCE_LENGTH);
    return s;
  }

  private static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.US_ASCII);
  }
}
