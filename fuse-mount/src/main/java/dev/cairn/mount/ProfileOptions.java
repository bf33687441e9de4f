package dev.cairn.mount;

import dev.cairn.error.UsageException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A mount's access-profile options: {@code --record-profile FILE} (write the blocks read, in first
 * read order, to FILE when unmounted), {@code --profile FILE|none} (the profile to fetch ahead;
 * default: {@code SNAP.profile} next to the snapshot, if there is one) and {@code --fetch
 * profile|all} (after the profile, fetch the rest of the image in the background too). Immutable.
 *
 * @param record where to write the recorded profile (absolute), or null
 * @param profile a profile file (absolute), {@code none}, or null for the one next to the snapshot
 * @param fetchAll whether to fetch every block after the profile's
 */
public record ProfileOptions(Path record, String profile, boolean fetchAll) {
  /** No recording, the profile next to the snapshot, no full fetch. */
  public static final ProfileOptions DEFAULT = new ProfileOptions(null, null, false);

  /**
   * The options from the command line's values (each may be null), paths made absolute (the serving
   * process runs in /).
   */
  public static ProfileOptions parse(String record, String profile, String fetch)
      throws UsageException {
    boolean all;
    if (fetch == null || fetch.equals("profile")) {
      all = false;
    } else if (fetch.equals("all")) {
      all = true;
    } else {
      throw new UsageException("--fetch " + fetch + ": expected profile or all");
    }
    return new ProfileOptions(
        record == null ? null : Path.of(record).toAbsolutePath().normalize(),
        profile == null || profile.equals("none")
            ? profile
            : Path.of(profile).toAbsolutePath().normalize().toString(),
        all);
  }

  /** As {@code --key=value} arguments of the serving process. */
  List<String> serveArgs() {
    List<String> a = new ArrayList<>();
    if (record != null) {
      a.add("--record-profile=" + record);
    }
    if (profile != null) {
      a.add("--profile=" + profile);
    }
    if (fetchAll) {
      a.add("--fetch-all");
    }
    return a;
  }

  /** Reads what {@link #serveArgs()} wrote. */
  static ProfileOptions fromServeArgs(Map<String, String> a) {
    String record = a.get("record-profile");
    return new ProfileOptions(
        record == null ? null : Path.of(record), a.get("profile"), a.containsKey("fetch-all"));
  }
}
