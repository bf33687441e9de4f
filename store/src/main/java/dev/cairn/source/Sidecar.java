package dev.cairn.source;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;

/**
 * Where a file that goes with a snapshot lives: next to it, its name with a suffix added ({@code
 * SNAP.sig}, {@code SNAP.profile}), in the same folder, URL prefix or bucket, so that whoever can
 * reach the snapshot finds it without being told. Stateless.
 */
public final class Sidecar {
  private Sidecar() {}

  /** {@code file} with {@code suffix} added to its name. */
  public static Path of(Path file, String suffix) {
    return file.resolveSibling(file.getFileName() + suffix);
  }

  /** {@code uri} with {@code suffix} added to its path (a query, if any, kept). */
  public static URI of(URI uri, String suffix) {
    try {
      return new URI(
          uri.getScheme(), uri.getAuthority(), uri.getPath() + suffix, uri.getQuery(), null);
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException(uri + ": " + e.getMessage(), e);
    }
  }
}
