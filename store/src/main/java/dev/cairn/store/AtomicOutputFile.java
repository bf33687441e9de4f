package dev.cairn.store;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A file that appears under its final name only once it is complete: bytes go to a temporary
 * sibling, and {@link #commit()} forces it to disk, renames it over the target and forces the
 * directory. Closing without committing deletes the temporary file, so a failed or interrupted
 * writer never leaves a half-written file under the final name, and never damages a file that was
 * already there.
 *
 * <p>While bytes are written, the file is forced to disk in the background every {@value
 * #FLUSH_EVERY} bytes, so that write-back overlaps the writer's work instead of all happening in
 * {@link #commit()} (the kernel would otherwise hold gigabytes of dirty pages until the end).
 *
 * <p><b>Thread safety:</b> not thread-safe; one writer owns it.
 */
public final class AtomicOutputFile implements Closeable {
  private static final long FLUSH_EVERY = 32L << 20;

  private final Path target;
  private final Path temp;
  private final FileChannel channel;
  private final WritableByteChannel writer = new FlushingWriter();
  private final WriteBehind writeBehind;
  private boolean committed;

  private AtomicOutputFile(Path target, Path temp, FileChannel channel) {
    this.target = target;
    this.temp = temp;
    this.channel = channel;
    this.writeBehind = new WriteBehind(channel, FLUSH_EVERY);
  }

  /**
   * Creates the temporary file next to {@code target}, with {@code attributes} (e.g. {@link
   * PrivateFiles#FILE}); {@code target} itself is not touched.
   */
  public static AtomicOutputFile create(Path target, FileAttribute<?>... attributes)
      throws IOException {
    Path abs = target.toAbsolutePath();
    Path dir = abs.getParent();
    String name =
        "."
            + abs.getFileName()
            + ".tmp-"
            + Long.toHexString(ThreadLocalRandom.current().nextLong() >>> 16);
    Path temp = dir.resolve(name);
    FileChannel ch =
        FileChannel.open(
            temp, Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE), attributes);
    return new AtomicOutputFile(abs, temp, ch);
  }

  /** The channel to write to, append only. */
  public WritableByteChannel channel() {
    return writer;
  }

  /** The final path. */
  public Path target() {
    return target;
  }

  /** Makes the written bytes durable and visible under the target name. */
  public void commit() throws IOException {
    writeBehind.awaitAndCheck();
    channel.force(true);
    channel.close();
    try {
      Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING);
    }
    committed = true;
    Fsync.directory(target.getParent());
  }

  /** Counts written bytes and starts a background force when enough have piled up. */
  private final class FlushingWriter implements WritableByteChannel {
    @Override
    public int write(ByteBuffer src) throws IOException {
      int n = channel.write(src);
      writeBehind.appended(n);
      return n;
    }

    @Override
    public boolean isOpen() {
      return channel.isOpen();
    }

    @Override
    public void close() {}
  }

  @Override
  public void close() throws IOException {
    if (!committed) {
      try {
        writeBehind.awaitAndCheck();
      } catch (IOException e) {
        // the file is deleted anyway
      }
      try {
        channel.close();
      } finally {
        Files.deleteIfExists(temp);
      }
    }
  }
}
