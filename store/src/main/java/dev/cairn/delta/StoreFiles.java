package dev.cairn.delta;

import dev.cairn.error.CorruptStoreException;
import dev.cairn.io.Fsync;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The files of a {@link DeltaStore}'s directory, how the manifest's attributes tie them together,
 * and creating and opening them with the cross-checks and repairs a crash calls for.
 *
 * <h2>Files</h2>
 *
 * {@code spill.S} (the spill file of spill generation S), and the manifest's files ({@code
 * manifest}, {@code manifest.log.G}, {@code manifest.tmp}). The manifest's attributes tie them
 * together:
 *
 * <pre>
 *   0  logical size in bytes (the owner's; chunks at or past it are kept all-zero or absent)
 *   1  spill generation S: which spill file the locations refer to
 *   2  spill end: how far spill.S is known to be durable
 *   3  chunk size
 *   4  chunk slots written to spill.S (live or overwritten), to estimate garbage
 *   5  chunks per spill record
 * </pre>
 *
 * Opening for writing deletes the spill files of other generations, which only an interrupted
 * compaction leaves (see {@link StoreCompaction} for why that is always right), and re-establishes
 * the invariant about the logical size ({@link LogicalSize}). All of a store's files are plain, or
 * all are sealed under the one key its owner gives ({@link RecordCipher}); a file of the other kind
 * is refused as {@link CorruptStoreException}, so plain records can never be slipped into an
 * encrypted store.
 *
 * <p><b>Thread safety:</b> stateless; it runs before the store is published.
 */
final class StoreFiles {
  static final int ATTR_LOGICAL_SIZE = 0;
  static final int ATTR_SPILL_GENERATION = 1;
  static final int ATTR_SPILL_END = 2;
  static final int ATTR_CHUNK_SIZE = 3;
  static final int ATTR_SPILL_SLOTS = 4;
  static final int ATTR_CHUNKS_PER_RECORD = 5;

  static final String SPILL_PREFIX = "spill.";

  private StoreFiles() {}

  /** See {@link DeltaStore#create}. */
  static DeltaStore create(
      Path dir,
      int chunkSize,
      int chunksPerRecord,
      long logicalSize,
      ChunkCompressor compressor,
      RecordCipher cipher)
      throws IOException {
    DeltaAllocator a =
        DeltaAllocator.create(spillPath(dir, 0), chunkSize, chunksPerRecord, 0, compressor, cipher);
    Manifest m = null;
    try {
      Fsync.directory(dir);
      long[] attrs = new long[Manifest.ATTRIBUTES];
      attrs[ATTR_LOGICAL_SIZE] = logicalSize;
      attrs[ATTR_SPILL_GENERATION] = 0;
      attrs[ATTR_SPILL_END] = DeltaAllocator.HEADER_LENGTH;
      attrs[ATTR_CHUNK_SIZE] = chunkSize;
      attrs[ATTR_SPILL_SLOTS] = 0;
      attrs[ATTR_CHUNKS_PER_RECORD] = chunksPerRecord;
      m = Manifest.create(dir, attrs, cipher);
      return new DeltaStore(dir, compressor, false, m, a, 0);
    } catch (IOException | RuntimeException e) {
      a.close();
      throw e;
    }
  }

  /** See {@link DeltaStore#open} and {@link DeltaStore#openReadOnly}. */
  static DeltaStore open(
      Path dir, ChunkCompressor compressor, RecordCipher cipher, boolean readOnly)
      throws IOException {
    Manifest m = readOnly ? Manifest.openReadOnly(dir, cipher) : Manifest.open(dir, cipher);
    DeltaAllocator a = null;
    boolean ok = false;
    try {
      long generation = m.attribute(ATTR_SPILL_GENERATION);
      long durableEnd = m.attribute(ATTR_SPILL_END);
      Path spill = spillPath(dir, generation);
      a = DeltaAllocator.open(spill, compressor, durableEnd, readOnly, cipher);
      if (a.generation() != generation || a.chunkSize() != m.attribute(ATTR_CHUNK_SIZE)) {
        throw new CorruptStoreException(
            spill,
            "spill file is generation "
                + a.generation()
                + " with "
                + a.chunkSize()
                + "-byte chunks; the manifest expects generation "
                + generation
                + " with "
                + m.attribute(ATTR_CHUNK_SIZE));
      }
      DeltaStore s = new DeltaStore(dir, compressor, readOnly, m, a, m.attribute(ATTR_SPILL_SLOTS));
      if (!readOnly) {
        deleteOtherSpills(dir, generation);
        s.trimPastSize();
      }
      ok = true;
      return s;
    } finally {
      if (!ok) {
        if (a != null) {
          a.close();
        }
        m.close();
      }
    }
  }

  static Path spillPath(Path dir, long generation) {
    return dir.resolve(SPILL_PREFIX + generation);
  }

  private static void deleteOtherSpills(Path dir, long generation) throws IOException {
    String keep = SPILL_PREFIX + generation;
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, SPILL_PREFIX + "*")) {
      for (Path p : ds) {
        if (!p.getFileName().toString().equals(keep)) {
          Files.deleteIfExists(p);
        }
      }
    }
  }
}
