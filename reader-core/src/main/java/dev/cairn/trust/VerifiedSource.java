package dev.cairn.trust;

import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.LoadingCache;
import dev.cairn.crypto.BlockDigest;
import dev.cairn.error.CorruptSnapshotException;
import dev.cairn.source.ByteSource;
import dev.cairn.source.RangeCheck;
import java.io.EOFException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * A snapshot's bytes that are only handed out once they match what a trusted key signed: every read
 * is widened to whole chunks, each chunk's SHA-256 is compared with its digest from the signature
 * file ({@link SignatureFile}), and only then are the asked-for bytes copied out. The digest pages
 * are read from the signature file on first use and checked against the signed table; a mount
 * reading 4 MiB of a large remote image fetches one or two 32 KiB pages.
 *
 * <p>Bytes are hashed after they are copied into memory this source owns, so a file changed while
 * it is read (a memory map, a shared cache) cannot swap them between the check and their use; a
 * {@link #view} lends that private, checked memory (one view per thread at a time), which spares
 * the block decoder a second copy. Bytes that do not match are asked for once more when the source
 * behind can fetch them afresh ({@link ByteSource#invalidate}: a poisoned cache, a lying server),
 * then refused with a {@link CorruptSnapshotException} naming the byte range; the caller names the
 * block ({@link CorruptSnapshotException#inBlock}).
 *
 * <p>Thread-safe: each thread has its own scratch memory; digest pages are cached in a bounded
 * Caffeine cache (16 MiB). Closing closes the snapshot's source and the signature file's.
 */
public final class VerifiedSource implements ByteSource {
  /** Bytes read and checked at once: larger reads are checked in pieces of this size. */
  private static final int SEGMENT = 1 << 20;

  private static final long MAX_PAGE_WEIGHT = 16L << 20;

  private final ByteSource inner;
  private final ByteSource sigSource;
  private final SignatureFile sig;
  private final String describe;
  private final long size;
  private final int chunkLog2;
  private final int perPage;
  private final BlockDigest sha256 = BlockDigest.of(BlockDigest.Algorithm.SHA256);
  private final LoadingCache<Integer, byte[]> pages;
  private final ThreadLocal<Scratch> scratch;

  /**
   * The last chunk of recent checked reads, by chunk index modulo {@value #EDGES}: checked bytes in
   * this source's own memory, which no one else can change.
   */
  private final AtomicReferenceArray<Edge> edges = new AtomicReferenceArray<>(EDGES);

  private static final int EDGES = 64;

  /** A checked chunk's bytes. */
  private record Edge(long chunk, byte[] bytes) {}

  private volatile boolean closed;

  /**
   * A thread's scratch: memory for widened reads (one for {@link #readFully}, one for the view it
   * lends), whether the view is lent, one digest, and the digest page used last.
   */
  private static final class Scratch {
    ByteBuffer bytes = ByteBuffer.allocateDirect(0);
    ByteBuffer lendable = ByteBuffer.allocateDirect(0);
    boolean lent;
    final byte[] digest = new byte[BlockDigest.LENGTH];
    int pageIndex = -1;
    byte[] page;

    static ByteBuffer sized(ByteBuffer b, int length) {
      if (b.capacity() < length) {
        b = ByteBuffer.allocateDirect(Math.max(length, Math.min(SEGMENT, 2 * b.capacity())));
      }
      return b.clear().limit(length);
    }
  }

  VerifiedSource(ByteSource inner, ByteSource sigSource, SignatureFile sig) throws IOException {
    this.inner = inner;
    this.sigSource = sigSource;
    this.sig = sig;
    this.describe = inner.describe();
    this.size = inner.size();
    this.chunkLog2 = sig.chunkLog2();
    this.perPage = sig.perPage();
    this.scratch = ThreadLocal.withInitial(Scratch::new);
    this.pages =
        Caffeine.newBuilder()
            .maximumWeight(MAX_PAGE_WEIGHT)
            .weigher((Integer k, byte[] v) -> v.length)
            .executor(Runnable::run)
            .build(this::loadPage);
  }

  /** The source whose bytes are checked (for its own statistics; reading it bypasses the check). */
  public ByteSource inner() {
    return inner;
  }

  /** The signature the bytes are checked against. */
  public SignatureFile signature() {
    return sig;
  }

  @Override
  public long size() {
    return size;
  }

  @Override
  public void readFully(long position, ByteBuffer dst) throws IOException {
    int length = dst.remaining();
    RangeCheck.check(closed, describe, size, position, length);
    long pos = position;
    long end = position + length;
    Scratch s = scratch.get();
    while (pos < end) {
      long first = pos >>> chunkLog2 << chunkLog2;
      long stop = Math.min(Math.min(end, first + SEGMENT), size);
      long last = Math.min(size, ((stop - 1) >>> chunkLog2) + 1 << chunkLog2);
      s.bytes = Scratch.sized(s.bytes, (int) (last - first));
      ByteBuffer b = checked(s.bytes, s, first, (int) (last - first), stop != last);
      int from = (int) (pos - first);
      int n = (int) (stop - pos);
      dst.put(b.limit(from + n).position(from));
      pos = stop;
    }
  }

  /**
   * Lends the {@code length} bytes at {@code position}, checked, from this thread's private memory;
   * null for no bytes, when this thread has a view out already, or for more than a segment. The
   * view is valid until {@link #release}, which the thread that took it calls.
   */
  @Override
  public ByteBuffer view(long position, int length) throws IOException {
    RangeCheck.check(closed, describe, size, position, length);
    Scratch s = scratch.get();
    if (length == 0 || s.lent || length > SEGMENT - (2 << chunkLog2)) {
      return null;
    }
    long first = position >>> chunkLog2 << chunkLog2;
    long last = Math.min(size, ((position + length - 1) >>> chunkLog2) + 1 << chunkLog2);
    s.lendable = Scratch.sized(s.lendable, (int) (last - first));
    ByteBuffer b = checked(s.lendable, s, first, (int) (last - first), position + length != last);
    int from = (int) (position - first);
    s.lent = true;
    return b.slice(from, length).asReadOnlyBuffer();
  }

  @Override
  public void release(ByteBuffer view) {
    scratch.get().lent = false;
  }

  /**
   * The {@code length} bytes at chunk boundary {@code first}, read into {@code b} and checked. A
   * first chunk that a read just before ended in comes from the checked copy that read kept ({@link
   * #edges}): a sequential reader's widened reads overlap by a chunk, which would otherwise be read
   * and hashed twice. {@code keep}: the caller's read ends inside the last chunk, so the next read
   * may start there (a read ending on a chunk boundary keeps nothing).
   */
  private ByteBuffer checked(ByteBuffer b, Scratch s, long first, int length, boolean keep)
      throws IOException {
    int chunk = 1 << chunkLog2;
    long firstChunk = first >>> chunkLog2;
    Edge e = length > chunk ? edges.get((int) (firstChunk % EDGES)) : null;
    int from = 0;
    if (e != null && e.chunk() == firstChunk) {
      b.put(e.bytes());
      from = chunk;
    }
    inner.readFully(first + from, b);
    long bad = mismatch(b, s, first, length, from);
    if (bad >= 0) {
      if (!inner.invalidate(first, length)) {
        throw mismatch(bad);
      }
      b.clear().limit(length);
      inner.readFully(first, b);
      bad = mismatch(b, s, first, length, 0);
      if (bad >= 0) {
        throw mismatch(bad);
      }
    }
    if (keep) {
      keepEdge(b, first, length);
    }
    return b.clear();
  }

  /** Keeps a copy of the last whole chunk of the checked bytes {@code b} for the next read. */
  private void keepEdge(ByteBuffer b, long first, int length) {
    int chunk = 1 << chunkLog2;
    if (length < 2 * chunk || (length & (chunk - 1)) != 0) {
      return; // a short read, or one ending at the end of the file: nothing to share
    }
    byte[] copy = new byte[chunk];
    b.get(length - chunk, copy);
    long index = (first + length - chunk) >>> chunkLog2;
    edges.set((int) (index % EDGES), new Edge(index, copy));
  }

  /**
   * The first chunk of {@code b}'s bytes from {@code from} on that does not match its digest, or
   * -1.
   */
  private long mismatch(ByteBuffer b, Scratch s, long first, int length, int from)
      throws IOException {
    int chunk = 1 << chunkLog2;
    for (int at = from; at < length; at += chunk) {
      long index = (first + at) >>> chunkLog2;
      b.limit(Math.min(length, at + chunk)).position(at);
      sha256.digest(b, s.digest, 0);
      int pageIndex = (int) (index / perPage);
      if (pageIndex != s.pageIndex) {
        s.page = page(pageIndex);
        s.pageIndex = pageIndex;
      }
      int slot = (int) (index % perPage) * BlockDigest.LENGTH;
      if (!Arrays.equals(
          s.page, slot, slot + BlockDigest.LENGTH, s.digest, 0, BlockDigest.LENGTH)) {
        return index;
      }
    }
    return -1;
  }

  private CorruptSnapshotException mismatch(long chunk) {
    long from = chunk << chunkLog2;
    long to = Math.min(size, from + (1L << chunkLog2));
    return new CorruptSnapshotException(
        describe,
        "bytes "
            + from
            + ".."
            + to
            + " do not match their signed digest (SHA-256) in "
            + sigSource.describe());
  }

  /**
   * Prefetches the whole chunks a read of the range would check, and the digest pages it would
   * check them against.
   */
  @Override
  public void prefetch(long position, int length) throws IOException {
    RangeCheck.check(closed, describe, size, position, length);
    if (length == 0) {
      return;
    }
    long first = chunkStart(position);
    long last = chunkEnd(position, length);
    inner.prefetch(first, (int) (last - first));
    long lastChunk = (last - 1) >>> chunkLog2;
    for (long p = (first >>> chunkLog2) / perPage; p <= lastChunk / perPage; p++) {
      page((int) p);
    }
  }

  /** Whether the inner source holds the whole chunks a read of the range would check. */
  @Override
  public boolean holds(long position, int length) {
    if (closed || position < 0 || length <= 0 || position + length > size) {
      return true; // nothing to fetch: the read itself fails or reads nothing
    }
    long first = chunkStart(position);
    return inner.holds(first, (int) (chunkEnd(position, length) - first));
  }

  /** Passes on the whole chunks a read of the range would check. */
  @Override
  public void willRead(long position, int length) throws IOException {
    RangeCheck.check(closed, describe, size, position, length);
    if (length == 0) {
      return;
    }
    long first = chunkStart(position);
    inner.willRead(first, (int) (chunkEnd(position, length) - first));
  }

  /** Where the checked chunk holding byte {@code position} starts. */
  private long chunkStart(long position) {
    return position >>> chunkLog2 << chunkLog2;
  }

  /** Where the checked chunk holding the last of {@code length} bytes at {@code position} ends. */
  private long chunkEnd(long position, int length) {
    return Math.min(size, ((position + length - 1) >>> chunkLog2) + 1 << chunkLog2);
  }

  private byte[] page(int page) throws IOException {
    try {
      return pages.get(page);
    } catch (UncheckedIOException e) {
      throw e.getCause();
    }
  }

  private byte[] loadPage(Integer page) {
    byte[] bytes = new byte[sig.pageEntries(page) * BlockDigest.LENGTH];
    try {
      ByteBuffer b = ByteBuffer.wrap(bytes);
      sigSource.readFully(sig.pageOffset(page), b);
      byte[] d = sha256.digest(b.flip());
      if (sig.pageDigestIs(page, d)) {
        return bytes;
      }
      // a cached copy may be what is wrong; one fresh read
      if (sigSource.invalidate(sig.pageOffset(page), bytes.length)) {
        sigSource.readFully(sig.pageOffset(page), b.clear());
        if (sig.pageDigestIs(page, sha256.digest(b.flip()))) {
          return bytes;
        }
      }
      throw new CorruptSnapshotException(
          sigSource.describe(), "digest page " + page + " does not match the signed table");
    } catch (EOFException e) {
      throw new UncheckedIOException(
          new CorruptSnapshotException(sigSource.describe(), "signature file is truncated"));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public boolean invalidate(long position, int length) {
    return inner.invalidate(position, length);
  }

  @Override
  public String describe() {
    return describe;
  }

  @Override
  public void close() throws IOException {
    closed = true;
    try {
      inner.close();
    } finally {
      sigSource.close();
    }
  }
}
