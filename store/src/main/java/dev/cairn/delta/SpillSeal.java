package dev.cairn.delta;

import static dev.cairn.delta.SpillFormat.RECORD_HEAD;

import dev.cairn.error.CorruptStoreException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;

/**
 * Seals and opens the records of one sealed spill file (version 2 of {@link SpillFormat}, where the
 * layout and the associated data are documented): turns a record built in plain form into its
 * sealed form before it is written, and a sealed record read back (its CRC already checked) into
 * the plain form the decoder reads.
 *
 * <p><b>Thread safety:</b> immutable and thread-safe; every call uses its own associated data, and
 * the caller owns the buffers.
 */
final class SpillSeal {
  private static final int AAD_LENGTH = SpillFormat.HEADER_AAD + 8 + 8;

  private final RecordCipher cipher;
  private final byte[] headerAad;

  SpillSeal(RecordCipher cipher, SpillFormat.Header header) {
    this.cipher = cipher;
    this.headerAad = header.aadPrefix();
  }

  /** Bytes a sealed record has beyond the plain one. */
  int overhead() {
    return cipher.overhead();
  }

  /**
   * Seals the plain record in {@code plain} (from 0 to its limit, head filled in as {@link
   * SpillFormat#finishPlain} leaves it) for offset {@code at} into {@code out}, which is cleared
   * first and returned flipped, length and CRC filled in.
   */
  ByteBuffer seal(long at, ByteBuffer plain, ByteBuffer out) {
    int sealedLength = plain.limit() + cipher.overhead();
    out.clear();
    out.put(plain.duplicate().position(0).limit(RECORD_HEAD));
    out.putInt(4, sealedLength);
    cipher.seal(aad(at, out), plain.duplicate().position(RECORD_HEAD), out);
    out.flip();
    SpillFormat.putCrc(out);
    return out;
  }

  /**
   * Opens the sealed record at offset {@code at} in {@code sealed} (from 0 to its limit, CRC
   * checked) into {@code plain}, which is cleared and left flipped holding the plain record (its
   * length field the plain length, its CRC field unset).
   *
   * @throws CorruptStoreException if the record does not authenticate
   */
  void open(Path file, long at, ByteBuffer sealed, ByteBuffer plain) throws CorruptStoreException {
    plain.clear();
    plain.put(sealed.duplicate().position(0).limit(RECORD_HEAD));
    if (!cipher.open(aad(at, sealed), sealed.duplicate().position(RECORD_HEAD), plain)) {
      throw new CorruptStoreException(
          file,
          "record at "
              + at
              + " does not authenticate (AES-GCM): altered, moved or sealed under another key");
    }
    plain.flip();
    plain.putInt(4, plain.limit());
  }

  /** The associated data of the record at {@code at} whose head is in {@code rec}. */
  private byte[] aad(long at, ByteBuffer rec) {
    ByteBuffer a = ByteBuffer.allocate(AAD_LENGTH).order(ByteOrder.LITTLE_ENDIAN);
    a.put(headerAad).putLong(at).putInt(rec.getInt(4)).putInt(rec.getInt(12));
    return a.array();
  }
}
