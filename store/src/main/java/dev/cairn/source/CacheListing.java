package dev.cairn.source;

import java.io.IOException;
import java.nio.file.DirectoryIteratorException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiConsumer;
import java.util.regex.Pattern;

/**
 * The cache's own files in its versioned folder, as found on disk: the names of its forms (KEY
 * folders, chunk and piece files, object records, their temporary names), and listings that look at
 * nothing else: only regular files of those names, only in KEY folders that pass the ownership rule
 * of {@link PrivateFolder}, never following a link. A listing deletes the temporary files a process
 * that died while writing left behind (older than ten minutes; a live writer renames in
 * milliseconds).
 *
 * <p>Stateless apart from where it looks; thread-safe, also beside other processes.
 */
final class CacheListing {
  static final Pattern KEY_NAME = Pattern.compile("[0-9a-f]{32}");
  private static final Pattern RECORD_NAME =
      Pattern.compile("[0-9a-f]{32}" + Pattern.quote(CacheRoot.RECORD_SUFFIX));
  private static final Pattern RECORD_TEMP_NAME = Pattern.compile("\\.tmp-obj-[0-9a-f]{1,16}");
  private static final Pattern CHUNK_NAME = Pattern.compile("0|[1-9][0-9]{0,18}");

  /** A piece's file name: {@code pSTART-LENGTH}, START and LENGTH in decimal. */
  static final Pattern PIECE_NAME = Pattern.compile("p(0|[1-9][0-9]{0,18})-([1-9][0-9]{0,8})");

  private static final Pattern TEMP_NAME =
      Pattern.compile("\\.tmp-p?(0|[1-9][0-9]{0,18})(-[1-9][0-9]{0,8})?-[0-9a-f]{1,16}");

  private static final long STALE_SECONDS = 600;

  /** One chunk or piece file: where, how large, when last used. */
  record Entry(Path file, long size, FileTime touched) {}

  private final Path path;
  private final int uid;

  /**
   * @param path the versioned folder, {@code ROOT/cairn-chunks-v1}
   * @param uid the user everything in it must belong to
   */
  CacheListing(Path path, int uid) {
    this.path = path;
    this.uid = uid;
  }

  /** The KEY folders that pass the ownership rule. */
  List<Path> keyFolders() {
    List<Path> out = new ArrayList<>();
    try (DirectoryStream<Path> keys = Files.newDirectoryStream(path)) {
      for (Path key : keys) {
        if (KEY_NAME.matcher(key.getFileName().toString()).matches() && isPrivate(key)) {
          out.add(key);
        }
      }
    } catch (IOException | DirectoryIteratorException e) {
      // an unreadable cache folder lists nothing
    }
    return out;
  }

  private boolean isPrivate(Path key) {
    try {
      return PrivateFolder.problem(key, uid) == null;
    } catch (IOException e) {
      return false; // removed meanwhile, or not a folder
    }
  }

  /** The chunk and piece files in the cache. */
  List<Entry> scan() {
    List<Entry> out = new ArrayList<>();
    for (Path key : keyFolders()) {
      listOwn(
          key,
          name -> CHUNK_NAME.matcher(name).matches() || PIECE_NAME.matcher(name).matches(),
          TEMP_NAME,
          (f, a) -> out.add(new Entry(f, a.size(), a.lastModifiedTime())));
    }
    return out;
  }

  /** The {@link ObjectRecord} files in the cache folder (named {@code URLKEY.obj}). */
  List<Path> recordFiles() {
    List<Path> out = new ArrayList<>();
    listOwn(
        path, name -> RECORD_NAME.matcher(name).matches(), RECORD_TEMP_NAME, (f, a) -> out.add(f));
    return out;
  }

  /**
   * Hands {@code found} each regular file in {@code dir} whose name {@code live} accepts, and
   * deletes stale regular files named as {@code temp} says.
   */
  private static void listOwn(
      Path dir,
      java.util.function.Predicate<String> live,
      Pattern temp,
      BiConsumer<Path, BasicFileAttributes> found) {
    Instant stale = Instant.now().minusSeconds(STALE_SECONDS);
    try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
      for (Path f : files) {
        String name = f.getFileName().toString();
        boolean own = live.test(name);
        if (!own && !temp.matcher(name).matches()) {
          continue;
        }
        BasicFileAttributes a;
        try {
          a = Files.readAttributes(f, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (IOException e) {
          continue; // deleted meanwhile by another process
        }
        if (!a.isRegularFile()) {
          continue;
        }
        if (own) {
          found.accept(f, a);
        } else if (a.lastModifiedTime().toInstant().isBefore(stale)) {
          CacheRoot.delete(f);
        }
      }
    } catch (IOException | DirectoryIteratorException e) {
      // removed meanwhile or unreadable: nothing of it is listed
    }
  }
}
