package dev.cairn.delta;

import dev.cairn.error.OverlayInUseException;
import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * An exclusive lock on a directory, so that two processes never open one overlay. The lock is a
 * kernel record lock ({@link FileChannel#tryLock()}, {@code fcntl} on Linux) on the whole file
 * {@code DIR/lock}; the kernel drops it when the holder exits, however it exits, so a crash never
 * leaves a stale lock behind and nothing ever has to be cleaned up by hand. A refused opener names
 * the holder the kernel reports ({@link LockHolder}); the holder also writes its PID into the file
 * ({@code "1234\n"}, ASCII), for people and for systems without {@code /proc/locks}.
 *
 * <p>A second acquire of the same directory inside this JVM is refused too, before the lock file is
 * even opened: POSIX record locks belong to the process, not to the descriptor, and closing
 * <em>any</em> descriptor of the file would silently drop the holder's lock. For the same reason
 * the in-process registry is keyed by the lock file's identity (device and inode), so that two
 * spellings of one directory (a symlink, a bind mount) are recognised as one.
 *
 * <p>The lock file is never deleted: deleting it would let a waiting opener lock an unlinked inode
 * while a newcomer locks a fresh one.
 *
 * <p><b>Thread safety:</b> thread-safe; {@link #close()} is idempotent.
 */
public final class DirectoryLock implements Closeable {
  /** The name of the lock file inside the locked directory. */
  public static final String FILE_NAME = "lock";

  private static final Set<Object> HELD = ConcurrentHashMap.newKeySet();
  private static final int PID_READ_ATTEMPTS = 20;

  private final Path directory;
  private final Object key;
  private final FileChannel channel;
  private boolean closed;

  private DirectoryLock(Path directory, Object key, FileChannel channel) {
    this.directory = directory;
    this.key = key;
    this.channel = channel;
  }

  /**
   * Locks {@code dir}, which must exist, creating {@code dir/lock} if needed.
   *
   * @throws OverlayInUseException if another process, or another open in this JVM, holds it
   * @throws IOException if the lock file cannot be created or locked
   */
  public static DirectoryLock acquire(Path dir) throws IOException {
    Path abs = dir.toAbsolutePath().normalize();
    Path file = abs.resolve(FILE_NAME);
    try {
      Files.createFile(file, PrivateFiles.FILE);
    } catch (FileAlreadyExistsException e) {
      // The usual case: an earlier holder created it.
    }
    Object key = Files.readAttributes(file, BasicFileAttributes.class).fileKey();
    if (key == null) {
      key = file.toRealPath();
    }
    long self = ProcessHandle.current().pid();
    if (!HELD.add(key)) {
      throw new OverlayInUseException(abs, self);
    }
    boolean ok = false;
    FileChannel ch = null;
    try {
      ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE);
      FileLock lock;
      try {
        lock = ch.tryLock();
      } catch (OverlappingFileLockException e) {
        // Someone in this JVM locked the file without going through this class. Closing our
        // channel would drop their lock (see the class comment), so it is deliberately leaked.
        ch = null;
        throw new OverlayInUseException(abs, self);
      }
      if (lock == null) {
        throw new OverlayInUseException(abs, holder(file, ch));
      }
      writePid(ch, self);
      ok = true;
      return new DirectoryLock(abs, key, ch);
    } finally {
      if (!ok) {
        try {
          if (ch != null) {
            ch.close();
          }
        } finally {
          HELD.remove(key);
        }
      }
    }
  }

  /** Writes the PID first and truncates after, so a reader never sees an empty file. */
  private static void writePid(FileChannel ch, long pid) throws IOException {
    ByteBuffer b = ByteBuffer.wrap((pid + "\n").getBytes(StandardCharsets.US_ASCII));
    int len = b.remaining();
    while (b.hasRemaining()) {
      ch.write(b, b.position());
    }
    ch.truncate(len);
  }

  /**
   * The live holder's PID: the kernel's lock table names it; the PID in the file is only a
   * fallback, and is trusted only if that process still exists (the file may still hold the
   * previous holder's PID while the new one has locked but not yet written it).
   */
  private static long holder(Path file, FileChannel ch) throws IOException {
    OptionalLong fromKernel = LockHolder.of(file);
    if (fromKernel.isPresent()) {
      return fromKernel.getAsLong();
    }
    long written = readPid(ch);
    return written != OverlayInUseException.UNKNOWN_PID
            && ProcessHandle.of(written).map(ProcessHandle::isAlive).orElse(false)
        ? written
        : OverlayInUseException.UNKNOWN_PID;
  }

  /**
   * Reads the holder's PID: the leading decimal digits. A holder that has just locked may not have
   * written it yet, so an empty file is retried briefly.
   */
  private static long readPid(FileChannel ch) throws IOException {
    ByteBuffer b = ByteBuffer.allocate(32);
    for (int attempt = 0; attempt < PID_READ_ATTEMPTS; attempt++) {
      b.clear();
      int n = ch.read(b, 0);
      long pid = 0;
      int digits = 0;
      for (int i = 0; i < Math.max(n, 0) && digits < 19; i++) {
        byte c = b.get(i);
        if (c < '0' || c > '9') {
          break;
        }
        pid = pid * 10 + (c - '0');
        digits++;
      }
      if (digits > 0) {
        return pid;
      }
      try {
        Thread.sleep(5);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    return OverlayInUseException.UNKNOWN_PID;
  }

  /** The locked directory (absolute, normalised). */
  public Path directory() {
    return directory;
  }

  /** Releases the lock. The lock file stays. */
  @Override
  public synchronized void close() throws IOException {
    if (closed) {
      return;
    }
    closed = true;
    try {
      // Closing the channel releases the lock, also when an interrupt already closed it.
      channel.close();
    } finally {
      HELD.remove(key);
    }
  }
}
