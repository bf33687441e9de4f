package dev.cairn.delta;

import static dev.cairn.delta.SpillFormat.RECORD_HEAD;

import dev.cairn.error.CorruptStoreException;
import dev.cairn.error.OutOfSpaceException;
import dev.cairn.io.WriteBehind;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.CRC32C;

/**
 * The writing end of a spill file: gathers chunks into the open group, seals a full group as one
 * {@link SpillFormat} record (compressed when that pays, see {@link AdaptiveCompression}; then, in
 * a sealed file, encrypted by {@link SpillSeal}) and appends it at the end of the file. Runs of
 * whole groups skip the copy into the open group; in a plain file, incompressible runs also go out
 * with one gathering write straight from the caller's buffer, which encryption cannot do.
 *
 * <p><b>Thread safety:</b> not thread-safe; the allocator calls it under its lock. {@link #end()}
 * and {@link #slots()} may be read from any thread.
 */
final class GroupWriter {
  private static final int MAX_BATCH = 64;

  private final Path path;
  private final FileChannel channel;
  private final int chunkSize;
  private final int groupChunks;
  private final AdaptiveCompression compression;
  private final RecordCache cache;
  private final WriteBehind writeBehind;
  private final ByteBuffer group;
  private final long[] groupIds;
  private final ByteBuffer out;
  private final ByteBuffer head;
  private final ByteBuffer heads;
  // null for a plain file
  private final SpillSeal seal;
  private final ByteBuffer sealed;
  private final CRC32C crc = new CRC32C();
  private int groupCount;
  private boolean broken;
  private volatile long end;
  private volatile long slots;

  GroupWriter(
      Path path,
      FileChannel channel,
      ChunkCompressor compressor,
      int chunkSize,
      int groupChunks,
      RecordCache cache,
      WriteBehind writeBehind,
      SpillSeal seal,
      long end,
      long slots) {
    this.path = path;
    this.channel = channel;
    this.chunkSize = chunkSize;
    this.groupChunks = groupChunks;
    this.compression = new AdaptiveCompression(compressor);
    this.cache = cache;
    this.writeBehind = writeBehind;
    this.end = end;
    this.slots = slots;
    this.group = ByteBuffer.allocate(chunkSize * groupChunks);
    this.groupIds = new long[groupChunks];
    int headLength = RECORD_HEAD + 8 * groupChunks;
    // direct: FileChannel writes from heap buffers go through a temporary direct copy
    this.out = newDirectBuffer(SpillFormat.maxRecordLength(compressor, chunkSize, groupChunks, 0));
    this.head = newDirectBuffer(headLength);
    this.heads = newDirectBuffer(seal == null ? MAX_BATCH * headLength : 0);
    this.seal = seal;
    this.sealed =
        seal == null
            ? null
            : newDirectBuffer(
                SpillFormat.maxRecordLength(compressor, chunkSize, groupChunks, seal.overhead()));
  }

  /** The end of the sealed records: where the open group will go. */
  long end() {
    return end;
  }

  /** Chunk slots in sealed records that this writer has seen, including those found on open. */
  long slots() {
    return slots;
  }

  /** Chunks in the open group. */
  int openChunks() {
    return groupCount;
  }

  /** True after a failed append could not be undone, so the file's tail is unknown. */
  boolean broken() {
    return broken;
  }

  /** See {@link DeltaAllocator#write}. */
  long write(long chunkId, ByteBuffer src) throws IOException {
    int slot = -1;
    for (int i = 0; i < groupCount; i++) {
      if (groupIds[i] == chunkId) {
        slot = i;
        break;
      }
    }
    if (slot < 0) {
      if (groupCount == groupChunks) {
        sealOpen();
      }
      slot = groupCount++;
      groupIds[slot] = chunkId;
    }
    group.put(slot * chunkSize, src, src.position(), chunkSize);
    return DeltaAllocator.location(end, slot);
  }

  /** See {@link DeltaAllocator#writeRun}. */
  void writeRun(long firstId, ByteBuffer src, long[] locations) throws IOException {
    int n = src.remaining() / chunkSize;
    int base = src.position();
    int i = 0;
    while (i < n) {
      int at = base + i * chunkSize;
      int whole = (n - i) / groupChunks;
      if (seal == null && groupCount == 0 && whole >= 2 && compression.skipping() > 0) {
        // incompressible data: several raw records in one gathering write
        int k = Math.min(Math.min(whole, compression.skipping()), MAX_BATCH);
        long first = end;
        sealRawBatch(firstId + i, src.slice(at, k * groupChunks * chunkSize), k);
        int recordLength = RECORD_HEAD + 8 * groupChunks + groupChunks * chunkSize;
        for (int g = 0; g < k; g++) {
          for (int slot = 0; slot < groupChunks; slot++) {
            locations[i + g * groupChunks + slot] =
                DeltaAllocator.location(first + (long) g * recordLength, slot);
          }
        }
        i += k * groupChunks;
      } else if (groupCount == 0 && n - i >= groupChunks) {
        long recordOffset = end;
        sealDirect(firstId + i, src.slice(at, groupChunks * chunkSize));
        for (int k = 0; k < groupChunks; k++) {
          locations[i + k] = DeltaAllocator.location(recordOffset, k);
        }
        i += groupChunks;
      } else {
        locations[i] = write(firstId + i, src.slice(at, chunkSize));
        i++;
      }
    }
  }

  /**
   * Copies bytes of the open group's chunk {@code chunkId} into {@code dst} if {@code offset} is
   * where the open group will go; returns false if it is not.
   *
   * @throws CorruptStoreException if the slot holds another chunk
   */
  boolean readOpen(long offset, int slot, long chunkId, int from, ByteBuffer dst)
      throws IOException {
    if (offset != end) {
      return false;
    }
    if (slot >= groupCount || groupIds[slot] != chunkId) {
      throw new CorruptStoreException(
          path, "open group slot " + slot + " does not hold chunk " + chunkId);
    }
    int len = dst.remaining();
    dst.put(
        group.duplicate().position(slot * chunkSize + from).limit(slot * chunkSize + from + len));
    return true;
  }

  /** Appends the open group, if it holds anything; returns the end of the file. */
  long seal() throws IOException {
    if (groupCount > 0) {
      sealOpen();
    }
    return end;
  }

  private void sealOpen() throws IOException {
    int n = groupCount;
    int rawLength = n * chunkSize;
    out.clear();
    SpillFormat.recordHead(out, groupIds, n);
    ByteBuffer raw = group.duplicate().position(0).limit(rawLength);
    boolean compressed = compression.tryCompress(raw, out) >= 0;
    if (!compressed) {
      out.put(raw);
    }
    long at = end;
    // on failure the group stays open for a retry
    int len = appendRecord(at, compressed);
    // Reads of just-written chunks are common (a filesystem reads back its metadata), so the
    // sealed group goes into the cache as it is, sparing a read and a decompression.
    byte[] data = new byte[rawLength];
    group.get(0, data, 0, rawLength);
    cache.put(new RecordCache.Decoded(at, n, Arrays.copyOf(groupIds, n), data));
    end = at + len;
    slots += n;
    groupCount = 0;
  }

  /**
   * Appends {@code k} full groups of consecutive chunks from {@code firstId} on as raw records,
   * with one gathering write (the caller has checked that compression is being skipped).
   */
  private void sealRawBatch(long firstId, ByteBuffer raw, int k) throws IOException {
    int headLength = RECORD_HEAD + 8 * groupChunks;
    int groupBytes = groupChunks * chunkSize;
    ByteBuffer[] bufs = new ByteBuffer[2 * k];
    for (int g = 0; g < k; g++) {
      ByteBuffer h = heads.slice(g * headLength, headLength).order(ByteOrder.LITTLE_ENDIAN);
      ByteBuffer payload = raw.slice(g * groupBytes, groupBytes);
      bufs[2 * g] =
          SpillFormat.finishRaw(
              SpillFormat.recordHead(h, firstId + (long) g * groupChunks, groupChunks),
              payload,
              crc);
      bufs[2 * g + 1] = payload;
    }
    long at = end;
    append(at, bufs);
    end = at + (long) k * (headLength + groupBytes);
    slots += (long) k * groupChunks;
    compression.skipped(k);
  }

  /** Appends one full group of consecutive chunks starting at {@code firstId}, read from raw. */
  private void sealDirect(long firstId, ByteBuffer raw) throws IOException {
    int n = groupChunks;
    int headLength = RECORD_HEAD + 8 * n;
    out.clear().position(headLength);
    int c = compression.tryCompress(raw, out);
    long at = end;
    int len;
    if (c >= 0) {
      int compressedEnd = out.position();
      out.put(0, SpillFormat.recordHead(head.clear(), firstId, n), 0, headLength);
      out.position(compressedEnd);
      len = appendRecord(at, true);
    } else if (seal != null) {
      // Sealing takes the plaintext from one buffer: the copy that the plain path below saves.
      out.put(0, SpillFormat.recordHead(head.clear(), firstId, n), 0, headLength);
      out.position(headLength).put(raw.duplicate());
      len = appendRecord(at, false);
    } else {
      len = headLength + raw.remaining();
      ByteBuffer h =
          SpillFormat.finishRaw(SpillFormat.recordHead(head.clear(), firstId, n), raw, crc);
      append(at, new ByteBuffer[] {h, raw});
    }
    end = at + len;
    slots += n;
  }

  /**
   * Completes the record built in {@code out} (from 0 to its position), seals it if the file is
   * sealed, and appends it at {@code at}; returns its length as stored.
   */
  private int appendRecord(long at, boolean compressed) throws IOException {
    if (seal == null) {
      int len = SpillFormat.finish(out, compressed);
      append(at, new ByteBuffer[] {out});
      return len;
    }
    SpillFormat.finishPlain(out, compressed);
    ByteBuffer s = seal.seal(at, out, sealed);
    append(at, new ByteBuffer[] {s});
    return s.limit();
  }

  /** Writes {@code bufs} back to back at {@code at}; on failure leaves nothing past {@code at}. */
  private void append(long at, ByteBuffer[] bufs) throws IOException {
    long length = 0;
    for (ByteBuffer b : bufs) {
      length += b.remaining();
    }
    try {
      if (bufs.length == 1) {
        FileChannels.writeFully(channel, bufs[0], at);
      } else {
        // FileChannel has no positional gathering write; writes are serialised by the caller's
        // lock and every read is positional, so moving the channel's position is safe here.
        channel.position(at);
        long done = 0;
        while (done < length) {
          done += channel.write(bufs);
        }
      }
    } catch (IOException e) {
      // A partial record must not stay where the next one goes.
      try {
        channel.truncate(at);
      } catch (IOException t) {
        broken = true;
        e.addSuppressed(t);
      }
      throw OutOfSpaceException.classify(e);
    }
    writeBehind.appended(length);
  }

  private static ByteBuffer newDirectBuffer(int capacity) {
    return ByteBuffer.allocateDirect(capacity).order(ByteOrder.LITTLE_ENDIAN);
  }
}
