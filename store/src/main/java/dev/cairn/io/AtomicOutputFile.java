package dev.cairn.io;

import dev.cairn.delta.PrivateFiles;
import dev.cairn.error.NotARegularFileException;
import dev.cairn.error.OutOfSpaceException;
import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.channels.WritableByteChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileAttribute;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Pattern;

/**
 * A file that appears under its final name only once it is complete: bytes go to a temporary
 * sibling, and {@link #commit()} forces it to disk, renames it over the target and forces the
 * directory. Closing without committing deletes the temporary file, so a failed or interrupted
 * writer never leaves a half-written file under the final name, and never damages a file that was
 * already there. A target that exists and is not a regular file (a device, a FIFO, a socket, a
 * directory, a symbolic link) is refused, at {@link #create} and again just before the rename.
 *
 * <p>Temporaries are cleaned up three ways: by {@link #close()}; by a shutdown hook when the JVM
 * ends on SIGINT or SIGTERM; and, for a writer killed outright, by the next {@link #create} in the
 * same directory. That sweep needs proof that the writer is dead: each writer holds an exclusive
 * {@code fcntl} lock on its temporary file while it lives (the kernel drops it when the process
 * dies), and the sweep removes only regular files named like this class's temporaries, owned by the
 * current user, on which it can take the lock. A file whose lock it cannot take, or cannot even ask
 * for, is left alone.
 *
 * <p>While bytes are written, the file is forced to disk in the background every {@value
 * #FLUSH_EVERY} bytes, so that write-back overlaps the writer's work instead of all happening in
 * {@link #commit()} (the kernel would otherwise hold gigabytes of dirty pages until the end).
 * Failures of the writes name the target, so that "No space left on device" says where.
 *
 * <p><b>Thread safety:</b> not thread-safe; one writer owns it. The shutdown hook synchronizes with
 * {@link #commit()}'s rename.
 */
public final class AtomicOutputFile implements Closeable {
  private static final long FLUSH_EVERY = 32L << 20;
  private static final String TEMP_INFIX = ".tmp-cairn-";
  private static final Pattern TEMP_NAME = Pattern.compile("\\..+\\.tmp-cairn-[0-9a-f]{16}");

  // The names of this process's own temporaries: POSIX locks belong to the process, so the sweep
  // must not even open one of them (closing any descriptor of a file drops the process's lock on
  // it). Names, not paths, so that another spelling of the directory cannot miss; they carry 64
  // random bits.
  private static final Set<String> LIVE = ConcurrentHashMap.newKeySet();

  private final Path target;
  private final Path temp;
  private final FileChannel channel;
  private final WritableByteChannel writer = new FlushingWriter();
  private final WriteBehind writeBehind;
  private final Thread cleanup;
  private boolean committed;
  private boolean abandoned;

  private AtomicOutputFile(Path target, Path temp, FileChannel channel) {
    this.target = target;
    this.temp = temp;
    this.channel = channel;
    this.writeBehind = new WriteBehind(channel, FLUSH_EVERY);
    this.cleanup = new Thread(this::abandon, "cairn-output-cleanup");
  }

  /**
   * Creates the temporary file next to {@code target}, with {@code attributes} (e.g. {@link
   * PrivateFiles#FILE}); {@code target} itself is not touched. First removes temporaries of writers
   * in that directory that died without cleaning up.
   *
   * @throws NotARegularFileException if {@code target} exists and is not a regular file
   */
  public static AtomicOutputFile create(Path target, FileAttribute<?>... attributes)
      throws IOException {
    Path abs = target.toAbsolutePath();
    Path dir = abs.getParent();
    checkReplaceable(abs);
    while (true) {
      Path temp =
          dir.resolve(
              "."
                  + abs.getFileName()
                  + TEMP_INFIX
                  + String.format("%016x", ThreadLocalRandom.current().nextLong()));
      LIVE.add(temp.getFileName().toString());
      FileChannel ch;
      try {
        ch =
            FileChannel.open(
                temp, Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE), attributes);
      } catch (FileAlreadyExistsException e) {
        LIVE.remove(temp.getFileName().toString());
        continue;
      } catch (FileSystemException e) {
        LIVE.remove(temp.getFileName().toString());
        String why = e instanceof AccessDeniedException ? "permission denied" : e.getReason();
        throw new IOException(
            dir + ": cannot create " + abs.getFileName() + " in this directory: " + why, e);
      } catch (IOException | RuntimeException e) {
        LIVE.remove(temp.getFileName().toString());
        throw e;
      }
      lock(ch);
      // A sweep that took the lock between our create and our lock has deleted the file: start
      // again under a new name (it cannot take the lock from now on).
      if (!Files.exists(temp, LinkOption.NOFOLLOW_LINKS)) {
        ch.close();
        LIVE.remove(temp.getFileName().toString());
        continue;
      }
      AtomicOutputFile out = new AtomicOutputFile(abs, temp, ch);
      try {
        Runtime.getRuntime().addShutdownHook(out.cleanup);
      } catch (IllegalStateException e) {
        out.close();
        throw new IOException(abs + ": not written, the process is shutting down", e);
      }
      sweep(dir, owner(temp));
      return out;
    }
  }

  private static void lock(FileChannel ch) {
    try {
      ch.lock();
    } catch (IOException e) {
      // a file system without locks: the sweep cannot take a lock there either, so it never
      // removes this file
    }
  }

  /**
   * Throws if {@code target} exists and is not a regular file (a symbolic link is not followed).
   */
  public static void checkReplaceable(Path target) throws IOException {
    BasicFileAttributes a;
    try {
      a = Files.readAttributes(target, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
    } catch (NoSuchFileException e) {
      return;
    }
    if (!a.isRegularFile()) {
      throw new NotARegularFileException(target, kind(target, a));
    }
  }

  private static String kind(Path p, BasicFileAttributes a) {
    if (a.isDirectory()) {
      return "a directory";
    }
    if (a.isSymbolicLink()) {
      return "a symbolic link";
    }
    Object mode;
    try {
      mode = Files.getAttribute(p, "unix:mode", LinkOption.NOFOLLOW_LINKS);
    } catch (IOException | RuntimeException e) {
      return "a special file";
    }
    return switch ((Integer) mode & 0170000) {
      case 0020000 -> "a character device";
      case 0060000 -> "a block device";
      case 0010000 -> "a FIFO";
      case 0140000 -> "a socket";
      default -> "a special file";
    };
  }

  /**
   * Removes temporaries in {@code dir} owned by user {@code me} and left by writers that no longer
   * run. Never throws: cleaning up is a courtesy to the user, not part of the write.
   */
  static void sweep(Path dir, Object me) {
    try (DirectoryStream<Path> entries =
        Files.newDirectoryStream(
            dir, p -> TEMP_NAME.matcher(p.getFileName().toString()).matches())) {
      for (Path p : entries) {
        if (!LIVE.contains(p.getFileName().toString())
            && Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)
            && me != null
            && me.equals(owner(p))) {
          removeIfDead(p);
        }
      }
    } catch (IOException | RuntimeException e) {
      // an unreadable directory: nothing to sweep
    }
  }

  private static Object owner(Path p) {
    try {
      return Files.getAttribute(p, "unix:uid", LinkOption.NOFOLLOW_LINKS);
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }

  private static void removeIfDead(Path p) {
    try (FileChannel ch = FileChannel.open(p, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS);
        FileLock lock = ch.tryLock(0, Long.MAX_VALUE, true)) {
      if (lock != null) {
        Files.deleteIfExists(p);
      }
    } catch (IOException | OverlappingFileLockException e) {
      // cannot prove its writer dead: leave it
    }
  }

  /** The channel to write to, append only. */
  public WritableByteChannel channel() {
    return writer;
  }

  /** The temporary file the bytes go to until {@link #commit()}. */
  Path temp() {
    return temp;
  }

  /** The final path. */
  public Path target() {
    return target;
  }

  /** Makes the written bytes durable and visible under the target name. */
  public void commit() throws IOException {
    try {
      writeBehind.awaitAndCheck();
      channel.force(true);
    } catch (IOException e) {
      throw named(e);
    }
    checkReplaceable(target);
    synchronized (this) {
      if (abandoned) {
        throw new IOException(target + ": not written, the process is shutting down");
      }
      channel.close();
      try {
        Files.move(
            temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING);
      }
      committed = true;
    }
    LIVE.remove(temp.getFileName().toString());
    removeHook();
    Fsync.directory(target.getParent());
  }

  private IOException named(IOException e) {
    String m = e.getMessage();
    return OutOfSpaceException.classify(
        m != null && m.contains(target.toString()) ? e : new IOException(target + ": " + m, e));
  }

  /** The shutdown hook: deletes the temporary file unless the rename already happened. */
  private synchronized void abandon() {
    if (!committed) {
      abandoned = true;
      try {
        Files.deleteIfExists(temp);
      } catch (IOException e) {
        // the JVM is exiting; the next create in this directory sweeps it
      }
    }
  }

  private void removeHook() {
    try {
      Runtime.getRuntime().removeShutdownHook(cleanup);
    } catch (IllegalStateException e) {
      // shutdown in progress: the hook runs and finds nothing to do
    }
  }

  /** Counts written bytes and starts a background force when enough have piled up. */
  private final class FlushingWriter implements WritableByteChannel {
    @Override
    public int write(ByteBuffer src) throws IOException {
      int n;
      try {
        n = channel.write(src);
      } catch (IOException e) {
        throw named(e);
      }
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
        synchronized (this) {
          Files.deleteIfExists(temp);
        }
        LIVE.remove(temp.getFileName().toString());
        removeHook();
      }
    }
  }
}
