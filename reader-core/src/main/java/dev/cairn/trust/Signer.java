package dev.cairn.trust;

import dev.cairn.crypto.BlockDigest;
import dev.cairn.format.SnapshotId;
import dev.cairn.sign.SigningKey;
import dev.cairn.source.ByteSource;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.WritableByteChannel;
import java.util.function.LongConsumer;

/**
 * Writes the signature file of a snapshot ({@link SignatureFile}) in one sequential pass over its
 * bytes: each chunk's SHA-256 into digest pages, each page's SHA-256 into the table, the table's
 * SHA-256 into the statement, and the statement signed. Needs no key to read the snapshot: an
 * encrypted snapshot is signed as the ciphertext it is.
 *
 * <p>Stateless; thread-safe.
 */
public final class Signer {
  private static final int SEGMENT = 1 << 20;

  private Signer() {}

  /**
   * What to sign besides the bytes: the snapshot's id and its parent's id and signed root ({@link
   * SnapshotId#NONE} and {@link Statement#noRoot()} for a snapshot without a parent).
   */
  public record Binding(SnapshotId snapshot, SnapshotId parent, byte[] parentRoot) {
    public Binding {
      parentRoot = parentRoot.clone();
    }

    @Override
    public byte[] parentRoot() {
      return parentRoot.clone();
    }
  }

  /**
   * Writes the signature file of {@code snapshot}'s bytes, bound to {@code binding}, signed by
   * {@code key} at {@code signedAtMillis}, to {@code out}; {@code progress} is told the bytes
   * hashed so far.
   *
   * @return the signed statement
   */
  public static Statement write(
      ByteSource snapshot,
      Binding binding,
      SigningKey key,
      long signedAtMillis,
      WritableByteChannel out,
      LongConsumer progress)
      throws IOException {
    int chunkLog2 = SignatureFile.DEFAULT_CHUNK_LOG2;
    int perPage = SignatureFile.DEFAULT_PER_PAGE;
    int chunk = 1 << chunkLog2;
    long size = snapshot.size();
    long chunks = SignatureFile.chunks(size, chunkLog2);
    long pages = (chunks + perPage - 1) / perPage;
    if (pages * BlockDigest.LENGTH > Integer.MAX_VALUE - SignatureFile.TABLE_FIXED) {
      throw new IOException(snapshot.describe() + ": too large to sign (" + size + " bytes)");
    }
    BlockDigest sha256 = BlockDigest.of(BlockDigest.Algorithm.SHA256);
    byte[] pageDigests = new byte[(int) (pages * BlockDigest.LENGTH)];
    ByteBuffer page = ByteBuffer.allocate(perPage * BlockDigest.LENGTH);
    ByteBuffer segment = ByteBuffer.allocateDirect(SEGMENT);
    byte[] digest = new byte[BlockDigest.LENGTH];
    writeAll(out, SignatureFile.encodePrefix());
    int pageNo = 0;
    for (long pos = 0; pos < size; pos += SEGMENT) {
      int n = (int) Math.min(SEGMENT, size - pos);
      snapshot.readFully(pos, segment.clear().limit(n));
      for (int at = 0; at < n; at += chunk) {
        segment.limit(Math.min(n, at + chunk)).position(at);
        sha256.digest(segment, digest, 0);
        page.put(digest);
        if (!page.hasRemaining()) {
          pageNo = flushPage(page, sha256, pageDigests, pageNo, out);
        }
      }
      progress.accept(pos + n);
    }
    if (page.position() > 0) {
      pageNo = flushPage(page, sha256, pageDigests, pageNo, out);
    }
    if (pageNo != pages) {
      throw new IllegalStateException("wrote " + pageNo + " digest pages, expected " + pages);
    }
    byte[] table = SignatureFile.encodeTable(chunkLog2, perPage, pageDigests);
    Statement statement =
        new Statement(
            binding.snapshot(),
            binding.parent(),
            binding.parentRoot(),
            sha256.digest(ByteBuffer.wrap(table)),
            size,
            signedAtMillis);
    writeAll(out, SignatureFile.encodeEnd(key, statement, table));
    return statement;
  }

  private static int flushPage(
      ByteBuffer page, BlockDigest sha256, byte[] pageDigests, int pageNo, WritableByteChannel out)
      throws IOException {
    page.flip();
    sha256.digest(page.duplicate(), pageDigests, pageNo * BlockDigest.LENGTH);
    writeAll(out, page);
    page.clear();
    return pageNo + 1;
  }

  private static void writeAll(WritableByteChannel out, ByteBuffer b) throws IOException {
    while (b.hasRemaining()) {
      out.write(b);
    }
  }
}
