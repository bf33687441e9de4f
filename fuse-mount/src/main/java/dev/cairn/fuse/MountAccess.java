package dev.cairn.fuse;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Who may use the files of a mount: the owner, group and permission bits {@link CairnFs} reports,
 * which the kernel enforces ({@code default_permissions}, see {@link MountOptions}).
 *
 * <p>{@code mode} is the mode of a writable stream (the primary stream of a mount with an overlay);
 * read-only streams and {@code stats.json} get its read bits, the directories its read bits plus
 * the matching search bits. A local snapshot's mount takes the snapshot file's owner, group and
 * read bits (plus the owner's write bit for the overlay), so nobody reads through the mount what
 * they could not read from the file. A remote snapshot's mount belongs to the mounting user with
 * mode 0400: its bytes were fetched with that user's credentials or signed URL, so only the
 * operator shares them ({@code --mode}, {@code --uid}, {@code --gid}).
 *
 * @param uid owner of every entry
 * @param gid group of every entry
 * @param mode read and write bits of a writable stream, within 0666
 */
public record MountAccess(long uid, long gid, int mode) {
  /** Read bits of a remote snapshot's stream files. */
  public static final int REMOTE_MODE = 0400;

  public MountAccess {
    if ((mode & ~0666) != 0) {
      throw new IllegalArgumentException("mode " + Integer.toOctalString(mode) + " outside 0666");
    }
  }

  /** The owner, group and read bits of {@code snapshot} (plus 0200 for an overlay's writes). */
  public static MountAccess ofFile(Path snapshot) throws IOException {
    Map<String, Object> a = Files.readAttributes(snapshot, "unix:uid,gid,mode");
    int mode = ((Integer) a.get("mode")) & 0444;
    return new MountAccess(
        ((Number) a.get("uid")).longValue(), ((Number) a.get("gid")).longValue(), mode | 0200);
  }

  /** A remote snapshot mounted by {@code uid}/{@code gid}: {@link #REMOTE_MODE} (0600 writable). */
  public static MountAccess remote(long uid, long gid) {
    return new MountAccess(uid, gid, REMOTE_MODE | 0200);
  }

  /** This access with each non-null value replacing its part ({@code --uid}, {@code --gid}). */
  public MountAccess with(Long uid, Long gid, Integer mode) {
    return new MountAccess(
        uid == null ? this.uid : uid,
        gid == null ? this.gid : gid,
        mode == null ? this.mode : mode);
  }

  /** Mode of a read-only stream file and of {@code stats.json}. */
  public int readOnlyMode() {
    return mode & 0444;
  }

  /** Mode of the writable primary stream of a mount with an overlay. */
  public int writableMode() {
    return mode;
  }

  /** Mode of the root and {@code .cairn} directories: search where read. */
  public int directoryMode() {
    int r = mode & 0444;
    return r | (r >> 2);
  }
}
