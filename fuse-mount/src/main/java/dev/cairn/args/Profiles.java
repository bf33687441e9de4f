package dev.cairn.args;

import dev.cairn.error.CairnException;
import dev.cairn.error.UsageException;
import dev.cairn.format.SnapshotId;
import dev.cairn.io.AtomicOutputFile;
import dev.cairn.profile.AccessProfile;
import dev.cairn.sign.SigningKey;
import dev.cairn.sign.Trust;
import dev.cairn.source.ByteSource;
import dev.cairn.source.FileByteSource;
import dev.cairn.source.RemoteByteSource;
import dev.cairn.source.Sidecar;
import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Access profile files as the command line and a mount see them: finding {@code SNAP.profile} next
 * to a snapshot (a file, a URL, an S3 key), reading one with the checks a mount needs (its
 * snapshot, its signature when {@code --trust} is given), writing a recorded one, and signing one
 * ({@code cairn sign PROFILE}). A profile that does not fit is ignored with one log line: it is a
 * hint, and a mount without it reads the same bytes. Stateless.
 */
public final class Profiles {
  /** What a profile file's name adds to its snapshot's. */
  public static final String SUFFIX = ".profile";

  private static final Logger LOG = LoggerFactory.getLogger(Profiles.class);
  private static final byte[] MAGIC = "CAIRNPRF".getBytes(StandardCharsets.US_ASCII);
  private static final long MAX_BYTES = 32 + 16L * AccessProfile.MAX_RUNS + 4 + 96;

  private Profiles() {}

  /** Whether the file at {@code path} starts as a profile does. */
  public static boolean isProfile(Path path) throws IOException {
    try (var in = Files.newInputStream(path)) {
      return Arrays.equals(in.readNBytes(MAGIC.length), MAGIC);
    }
  }

  /** A profile file's bytes as read, not yet checked, and where they came from. */
  public record Found(String where, byte[] bytes) {}

  /**
   * The bytes of the profile a mount of {@code snapshot} uses, read but not checked ({@link
   * #accept} checks them): {@code option} names a file, is {@code none}, or is null for the one
   * next to the snapshot, if any. Needs neither the snapshot's id nor the keys, so a mount reads it
   * while it opens the snapshot. Empty when {@code option} is {@code none} or nothing lies next to
   * the snapshot.
   *
   * @throws UsageException if {@code option} names a file that does not exist
   */
  public static Optional<Found> read(String snapshot, String option) throws IOException {
    if ("none".equals(option)) {
      return Optional.empty();
    }
    if (option != null) {
      Path p = Path.of(option);
      if (!Files.isRegularFile(p)) {
        throw new UsageException(option + ": no such profile (--profile FILE or none)");
      }
      return Optional.of(new Found(option, readLocal(p)));
    }
    Optional<String> sidecar = sidecar(snapshot);
    if (sidecar.isEmpty()) {
      return Optional.empty();
    }
    String where = sidecar.get();
    try {
      return Optional.of(
          new Found(
              where,
              RemoteByteSource.isRemote(where)
                  ? readRemote(URI.create(where))
                  : readLocal(Path.of(where))));
    } catch (NoSuchFileException e) {
      LOG.debug("no profile at {}", where);
      return Optional.empty();
    }
  }

  /**
   * The profile in {@code found} if it is one, of snapshot {@code id}, signed as {@code trust}
   * requires; else empty, with one log line saying why.
   */
  public static Optional<AccessProfile> accept(Optional<Found> found, SnapshotId id, Trust trust) {
    if (found.isEmpty()) {
      return Optional.empty();
    }
    String where = found.get().where();
    try {
      AccessProfile p = AccessProfile.read(found.get().bytes(), where).trusted(trust, where);
      if (!p.snapshot().equals(id)) {
        LOG.warn("profile {} is for snapshot {}, not {}: ignored", where, p.snapshot(), id);
        return Optional.empty();
      }
      LOG.info(
          "profile {}: {} blocks in {} runs, fetched in that order",
          where,
          p.blocks(),
          p.runs().size());
      return Optional.of(p);
    } catch (CairnException e) {
      LOG.warn("{}: ignored", e.getMessage());
      return Optional.empty();
    }
  }

  /**
   * Where the profile next to {@code snapshot} would be, if it has a place (not standard input).
   */
  static Optional<String> sidecar(String snapshot) {
    if (RemoteByteSource.isRemote(snapshot)) {
      return Optional.of(Sidecar.of(URI.create(snapshot), SUFFIX).toString());
    }
    if (snapshot.equals("-")) {
      return Optional.empty();
    }
    return Optional.of(Sidecar.of(Path.of(snapshot).toAbsolutePath(), SUFFIX).toString());
  }

  /**
   * Writes a recorded profile to {@code out}, atomically, replacing only a file that is a profile
   * (a recording run again).
   */
  public static void write(Path out, AccessProfile profile) throws IOException {
    checkReplaceable(out);
    try (AtomicOutputFile f = AtomicOutputFile.create(out)) {
      f.channel().write(ByteBuffer.wrap(profile.encode()));
      f.commit();
    }
  }

  /**
   * Signs the profile {@code in} with {@code key} into {@code out} (which may be {@code in}).
   *
   * @return the profile signed
   */
  public static AccessProfile sign(Path in, SigningKey key, Path out) throws IOException {
    AccessProfile p = AccessProfile.read(readLocal(in), in.toString());
    checkReplaceable(out);
    byte[] signed = p.encodeSigned(key);
    try (AtomicOutputFile f = AtomicOutputFile.create(out)) {
      f.channel().write(ByteBuffer.wrap(signed));
      f.commit();
    }
    return AccessProfile.read(signed, out.toString());
  }

  private static void checkReplaceable(Path out) throws IOException {
    if (!Files.exists(out, LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    AtomicOutputFile.checkReplaceable(out);
    if (!Files.isRegularFile(out, LinkOption.NOFOLLOW_LINKS) || !isProfile(out)) {
      throw new UsageException(
          out
              + ": exists and is not a Cairn access profile; not replaced (remove it or choose another name)");
    }
  }

  private static byte[] readLocal(Path p) throws IOException {
    try (ByteSource s = FileByteSource.open(p)) {
      return readAll(s, p.toString());
    }
  }

  private static byte[] readRemote(URI uri) throws IOException {
    try (ByteSource s = RemoteByteSource.open(uri)) {
      return readAll(s, uri.toString());
    }
  }

  private static byte[] readAll(ByteSource s, String name) throws IOException {
    if (s.size() > MAX_BYTES) {
      throw new UsageException(name + ": " + s.size() + " bytes, larger than any access profile");
    }
    ByteBuffer b = ByteBuffer.allocate((int) s.size());
    s.readFully(0, b);
    return b.array();
  }
}
