package dev.cairn.delta;

import dev.cairn.crypto.Aead;
import java.nio.ByteBuffer;
import java.security.SecureRandom;

/**
 * Whether a store's records are stored as they are or sealed with AES-256-GCM: the one seam through
 * which every spill record ({@link SpillFormat}), manifest log record ({@link ManifestLog}) and
 * manifest snapshot segment ({@link ManifestSnapshot}) passes on its way to and from the disk. The
 * owner of the store chooses it (an overlay on an encrypted base passes a key derived from the
 * base's secret); each file format documents where the sealed bytes go and what associated data
 * binds them to their place.
 *
 * <p>A sealed record is {@code nonce (12) ‖ ciphertext (as long as the plaintext) ‖ tag (16)}: the
 * nonce is 12 fresh random bytes for every record sealed. Records are rewritten (compaction, a
 * group re-sealed after a crash cut it off, a manifest record appended again after a failed write),
 * and a counter would have to survive every such crash to stay unique; random nonces need no state.
 * Random 96-bit nonces keep the chance of any repeat below 2<sup>-32</sup> for up to 2<sup>32</sup>
 * records under one key (NIST SP 800-38D, 8.3). One key seals one overlay's records for its whole
 * life, and every sealed record carries at least one chunk or one manifest entry: 2<sup>32</sup>
 * records take at least 2<sup>32</sup> spill records of one chunk of the smallest size (512 bytes),
 * that is 2 TiB written and fsynced one chunk at a time (16 TiB at the overlay's default 4 KiB
 * chunks, 256 TiB in the overlay's full 64 KiB groups), or as many fsyncs (at 10 000 a second, five
 * days without pause). An overlay is a working layer that is committed and thrown away long before.
 *
 * <p><b>Thread safety:</b> implementations are immutable and thread-safe.
 */
public sealed interface RecordCipher permits RecordCipher.Plain, RecordCipher.AesGcm {

  /** Records stored as they are: today's formats, byte for byte. */
  RecordCipher NONE = new Plain();

  /** Records sealed with AES-256-GCM under the 32-byte {@code key} (copied). */
  static RecordCipher aesGcm(byte[] key) {
    return new AesGcm(Aead.of(key), new SecureRandom());
  }

  /** True for {@link #NONE}. */
  boolean isPlain();

  /** Bytes a sealed record carries beyond its plaintext: 28 (nonce and tag), or 0 when plain. */
  int overhead();

  /**
   * Seals {@code in}'s remaining bytes into {@code out} at its position (nonce, ciphertext, tag),
   * bound to {@code aad}. Both positions advance; the buffers must not overlap.
   */
  void seal(byte[] aad, ByteBuffer in, ByteBuffer out);

  /**
   * Opens {@code in}'s remaining bytes (as {@link #seal} wrote them) into {@code out}, which
   * receives {@code in.remaining() - overhead()} bytes. Returns false, with {@code out}'s contents
   * unspecified, if they are not what was sealed with {@code aad} under this key.
   */
  boolean open(byte[] aad, ByteBuffer in, ByteBuffer out);

  /** See {@link #NONE}. */
  final class Plain implements RecordCipher {
    private Plain() {}

    @Override
    public boolean isPlain() {
      return true;
    }

    @Override
    public int overhead() {
      return 0;
    }

    @Override
    public void seal(byte[] aad, ByteBuffer in, ByteBuffer out) {
      out.put(in);
    }

    @Override
    public boolean open(byte[] aad, ByteBuffer in, ByteBuffer out) {
      out.put(in);
      return true;
    }

    @Override
    public String toString() {
      return "plain";
    }
  }

  /** See {@link #aesGcm}. */
  final class AesGcm implements RecordCipher {
    private final Aead aead;
    private final SecureRandom random;

    private AesGcm(Aead aead, SecureRandom random) {
      this.aead = aead;
      this.random = random;
    }

    @Override
    public boolean isPlain() {
      return false;
    }

    @Override
    public int overhead() {
      return Aead.NONCE_LENGTH + Aead.TAG_LENGTH;
    }

    @Override
    public void seal(byte[] aad, ByteBuffer in, ByteBuffer out) {
      byte[] nonce = new byte[Aead.NONCE_LENGTH];
      random.nextBytes(nonce);
      out.put(nonce);
      aead.seal(nonce, aad, in, out);
    }

    @Override
    public boolean open(byte[] aad, ByteBuffer in, ByteBuffer out) {
      if (in.remaining() < overhead()) {
        return false;
      }
      byte[] nonce = new byte[Aead.NONCE_LENGTH];
      in.get(nonce);
      return aead.open(nonce, aad, in, out);
    }

    @Override
    public String toString() {
      return "AES-256-GCM";
    }
  }
}
