package dev.cairn.io;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/** Durability helpers. Stateless and thread-safe. */
public final class Fsync {
  private Fsync() {}

  /**
   * Forces a directory's entries to disk, so that a rename or a create inside it survives a crash.
   * Linux allows opening a directory read-only and fsyncing it.
   */
  public static void directory(Path dir) throws IOException {
    try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
      ch.force(true);
    }
  }
}
