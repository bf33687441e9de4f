package dev.cairn.io;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * Deleting a temporary folder Cairn made for itself (a class-data training run's snapshot and disk
 * cache), contents first. Only for folders Cairn created: it follows no link out of the folder
 * ({@link Files#walk} does not follow links), but it deletes whatever is inside. Stateless.
 */
public final class TemporaryFolder {
  private TemporaryFolder() {}

  /** Deletes {@code dir} and everything in it, as far as it can; a file it cannot delete stays. */
  public static void delete(Path dir) throws IOException {
    try (Stream<Path> s = Files.walk(dir)) {
      s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }
}
