package dev.cairn.mount;

import dev.cairn.fuse.CairnFs;
import java.util.concurrent.Future;
import java.util.concurrent.FutureTask;

/**
 * The file system object the next mount of a serving process takes, built once a mount is up
 * (loading libfuse and registering its callbacks is the slow part of getting ready), so that the
 * next {@code cairn mount} does not wait for it.
 *
 * <p>Thread-safe (synchronized).
 */
final class FileSystemSpare {
  private FutureTask<CairnFs> spare;
  private boolean closed;

  /** The spare, or one built now if there is none. */
  synchronized Future<CairnFs> take() {
    FutureTask<CairnFs> mine = spare;
    spare = null;
    return mine != null ? mine : MountServer.loadFileSystem();
  }

  /** Builds the next mount's file system object, once a mount is up (not while it gets ready). */
  synchronized void prepare() {
    if (spare == null && !closed) {
      spare = MountServer.loadFileSystem();
    }
  }

  /** No spare from now on: the server is closing. */
  synchronized void close() {
    closed = true;
  }
}
