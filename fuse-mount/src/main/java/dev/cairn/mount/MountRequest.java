package dev.cairn.mount;

import dev.cairn.crypto.KeyRing;
import dev.cairn.error.UsageException;
import dev.cairn.sign.Trust;
import java.nio.file.Path;
import java.util.List;

/**
 * A mount as the user asked for it ({@code cairn mount} or {@code cairn mount --foreground}), the
 * arguments as given: {@link ServeLauncher} and {@link MountServer} check and resolve them.
 * Immutable.
 *
 * @param snapshot SNAP: a snapshot file, or an http(s) or s3 URL
 * @param mountPoint MOUNTPOINT
 * @param cacheSize block cache capacity in bytes
 * @param debug {@code --debug}: stack traces, debug logging
 * @param overlay {@code --overlay DIR}, or null for a read-only mount
 * @param parentSearch {@code --parent-search} directories
 * @param access {@code --uid}, {@code --gid}, {@code --mode}
 * @param keys {@code --key-file}, {@code --passphrase-env}: the secrets for encrypted members
 * @param trust {@code --trust}: the keys every member's signature must be by ({@link Trust#NONE}:
 *     signatures are not checked)
 * @param profiles {@code --record-profile}, {@code --profile}, {@code --fetch}
 */
public record MountRequest(
    String snapshot,
    String mountPoint,
    long cacheSize,
    boolean debug,
    String overlay,
    List<Path> parentSearch,
    AccessOptions access,
    KeyRing keys,
    Trust trust,
    ProfileOptions profiles) {

  /**
   * A request from the command line's values, checking those that need nothing opened: the cache
   * size, then {@code --uid}, {@code --gid} and {@code --mode} (each may be null); {@code keys}
   * were read from the key options ({@link KeyRing#NONE} if none).
   */
  public static MountRequest of(
      String snapshot,
      String mountPoint,
      long cacheSize,
      boolean debug,
      String overlay,
      List<Path> parentSearch,
      String uid,
      String gid,
      String mode,
      KeyRing keys,
      Trust trust,
      ProfileOptions profiles)
      throws UsageException {
    MountChecks.checkCacheSize(cacheSize);
    AccessOptions access = AccessOptions.parse(uid, gid, mode);
    return new MountRequest(
        snapshot,
        mountPoint,
        cacheSize,
        debug,
        overlay,
        parentSearch,
        access,
        keys,
        trust,
        profiles);
  }
}
