package dev.cairn.overlay;

import dev.cairn.delta.PrivateFiles;
import dev.cairn.error.CorruptStoreException;
import dev.cairn.format.SnapshotId;
import dev.cairn.io.AtomicOutputFile;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Properties;

/**
 * What an overlay directory records about itself, so that reopening it or committing it needs no
 * argument but the directory: which base snapshot it sits on (id, where it was, how big its primary
 * stream is), its chunk size and, on an encrypted base, what its key is checked against.
 *
 * <p>Stored as {@code DIR/overlay.properties}, a {@link Properties} file (ISO 8859-1 with {@code
 * \}u escapes, so any path survives), written atomically (temporary file, fsync, rename, fsync of
 * the directory) as the last step of creating an overlay: a directory without it is not an overlay,
 * whatever else it holds. Keys:
 *
 * <pre>
 *   cairn.overlay.version   format version of the overlay directory: 1 plain, 2 encrypted
 *   base.id                 the base snapshot's id, 32 hex digits
 *   base.path               the base's path relative to DIR (tried first; both may move together)
 *   base.absolute-path      the base's absolute path when the overlay was created (tried second)
 *   base.size               the logical size of the base's primary stream, in bytes
 *   base.stream             the primary stream's name
 *   chunk.size              the overlay's chunk size in bytes
 *   encryption.cipher       version 2 only: AES-256-GCM
 *   encryption.salt         version 2 only: the overlay key's salt, 32 hex digits ({@link OverlayKey})
 *   encryption.key-check    version 2 only: the overlay key's check value, 32 hex digits
 * </pre>
 *
 * An overlay on an encrypted base is version 2: every record of its spill file and manifest is
 * sealed with AES-256-GCM under the overlay key (the layouts are documented by the classes of
 * {@code dev.cairn.delta} that read them), so nothing written through it lies in the clear. A plain
 * overlay (on a plain base) stays version 1 with today's files, and a Cairn that predates encrypted
 * overlays refuses version 2 by its number.
 *
 * <p>{@code key} is null for a plain overlay. Immutable.
 */
public record OverlayConfig(
    int version,
    SnapshotId baseId,
    String baseRelativePath,
    String baseAbsolutePath,
    long baseSize,
    String baseStream,
    int chunkSize,
    OverlayKey key) {

  /** The file's name inside the overlay directory. */
  public static final String FILE_NAME = "overlay.properties";

  /** The version of a plain overlay directory. */
  public static final int VERSION = 1;

  /** The version of an overlay directory whose store is encrypted. */
  public static final int VERSION_ENCRYPTED = 2;

  private static final String CIPHER = "AES-256-GCM";

  /** True if the overlay's store is encrypted (its base is). */
  public boolean encrypted() {
    return key != null;
  }

  /** True if {@code dir} holds an overlay (its config file exists). */
  public static boolean exists(Path dir) {
    return Files.isRegularFile(dir.resolve(FILE_NAME));
  }

  /**
   * Reads the config of the overlay in {@code dir}.
   *
   * @throws NoSuchFileException if {@code dir} is not an overlay
   * @throws CorruptStoreException if the file is unreadable or from a newer Cairn
   */
  public static OverlayConfig read(Path dir) throws IOException {
    Path file = dir.resolve(FILE_NAME);
    if (!Files.isRegularFile(file)) {
      throw new NoSuchFileException(
          dir.toString(), null, "not a Cairn overlay (no " + FILE_NAME + ")");
    }
    Properties p = new Properties();
    try (InputStream in = Files.newInputStream(file)) {
      p.load(in);
    } catch (IllegalArgumentException e) {
      throw new CorruptStoreException(file, "unreadable overlay config: " + e.getMessage(), e);
    }
    try {
      int version = Integer.parseInt(required(p, "cairn.overlay.version", file));
      if (version != VERSION && version != VERSION_ENCRYPTED) {
        throw new CorruptStoreException(
            file,
            "overlay format version "
                + version
                + " is not supported by this Cairn (it reads "
                + VERSION
                + " and "
                + VERSION_ENCRYPTED
                + ")");
      }
      OverlayKey key = null;
      if (version == VERSION_ENCRYPTED) {
        String cipher = required(p, "encryption.cipher", file);
        if (!cipher.equals(CIPHER)) {
          throw new CorruptStoreException(file, "overlay cipher " + cipher + " is not supported");
        }
        key =
            OverlayKey.parse(
                required(p, "encryption.salt", file), required(p, "encryption.key-check", file));
      } else if (p.getProperty("encryption.salt") != null) {
        throw new CorruptStoreException(file, "overlay format version 1 with encryption keys");
      }
      OverlayConfig c =
          new OverlayConfig(
              version,
              SnapshotId.parse(required(p, "base.id", file)),
              required(p, "base.path", file),
              required(p, "base.absolute-path", file),
              Long.parseLong(required(p, "base.size", file)),
              required(p, "base.stream", file),
              Integer.parseInt(required(p, "chunk.size", file)),
              key);
      if (c.baseSize < 0 || Integer.bitCount(c.chunkSize) != 1) {
        throw new CorruptStoreException(file, "base size or chunk size out of range");
      }
      return c;
    } catch (IllegalArgumentException e) {
      throw new CorruptStoreException(file, "bad value in overlay config: " + e.getMessage(), e);
    }
  }

  private static String required(Properties p, String key, Path file) throws IOException {
    String v = p.getProperty(key);
    if (v == null) {
      throw new CorruptStoreException(file, "overlay config lacks " + key);
    }
    return v;
  }

  /** Writes the config into {@code dir} atomically and durably. */
  void write(Path dir) throws IOException {
    Properties p = new Properties();
    p.setProperty("cairn.overlay.version", Integer.toString(version));
    p.setProperty("base.id", baseId.toString());
    p.setProperty("base.path", baseRelativePath);
    p.setProperty("base.absolute-path", baseAbsolutePath);
    p.setProperty("base.size", Long.toString(baseSize));
    p.setProperty("base.stream", baseStream);
    p.setProperty("chunk.size", Integer.toString(chunkSize));
    if (key != null) {
      p.setProperty("encryption.cipher", CIPHER);
      p.setProperty("encryption.salt", key.saltHex());
      p.setProperty("encryption.key-check", key.keyCheckHex());
    }
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    p.store(bytes, "Cairn overlay: changes to the primary stream of a base snapshot. Do not edit.");
    try (AtomicOutputFile out =
        AtomicOutputFile.create(dir.resolve(FILE_NAME), PrivateFiles.FILE)) {
      ByteBuffer b = ByteBuffer.wrap(bytes.toByteArray());
      while (b.hasRemaining()) {
        out.channel().write(b);
      }
      out.commit();
    }
  }
}
