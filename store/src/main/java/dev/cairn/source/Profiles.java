package dev.cairn.source;

import dev.cairn.config.Tuning;
import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashSet;
import java.util.Set;

/**
 * The access profile of this process: the one it records ({@code --record-profile FILE}: every
 * chunk of every remote member in the order first read, written when a member closes) and the one
 * it prefetches by ({@code --profile FILE}, else {@code SNAP.profile} next to the first remote
 * snapshot this process opens, the top of its chain; {@code --profile none} for none). A process
 * mounts one chain, so one profile per process is the right scope; a profile that cannot be read is
 * said in one line and ignored (it only ever saves time). With {@code --trust} (setting {@code
 * untrusted}) a published profile is ignored with one line: profiles are not signed, and a trusted
 * mount reads nothing unsigned.
 *
 * <p><b>Thread safety:</b> safe for concurrent use (synchronized, off the read path's hot loop:
 * recording a chunk is one set insertion).
 */
final class Profiles {
  private static final int MAX_PROFILE_BYTES = 64 << 20;
  private static final Object LOCK = new Object();
  private static final Set<AccessProfile.Entry> RECORDED = new LinkedHashSet<>();
  private static boolean loaded;
  private static AccessProfile active;

  private Profiles() {}

  /** Notes that chunk {@code index} of {@code url} was read, if this process records a profile. */
  static void record(String url, long index) {
    synchronized (LOCK) {
      RECORDED.add(new AccessProfile.Entry(AccessProfile.memberName(url), index));
    }
  }

  /** Writes what was recorded to {@code file} (through a temporary file), or says why not. */
  static void flush(Path file) {
    String text;
    synchronized (LOCK) {
      text = new AccessProfile(java.util.List.copyOf(RECORDED)).render();
    }
    try {
      Path tmp = file.resolveSibling("." + file.getFileName() + ".tmp");
      Files.writeString(tmp, text, StandardCharsets.UTF_8);
      Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      System.err.println("cairn: cannot write the access profile " + file + ": " + e);
    }
  }

  /**
   * The profile to prefetch by, found once per process: the file {@code --profile} names, or the
   * sidecar {@code SNAP.profile} next to {@code top}; null if none.
   */
  static AccessProfile active(URI top) {
    synchronized (LOCK) {
      if (!loaded) {
        loaded = true;
        active = load(Tuning.current().remoteProfile(), top);
      }
      return active;
    }
  }

  private static AccessProfile load(String setting, URI top) {
    if (setting.equals("none")) {
      return null;
    }
    boolean untrusted = setting.equals("untrusted");
    String where = setting.isEmpty() || untrusted ? top + ".profile" : setting;
    try {
      if (untrusted) {
        RemoteByteSource.open(URI.create(where)).close();
        System.err.println(
            "cairn: ignoring access profile "
                + where
                + ": profiles are not signed, and --trust reads only signed data");
        return null;
      }
      if (!setting.isEmpty()) {
        long size = Files.size(Path.of(setting));
        if (size > MAX_PROFILE_BYTES) {
          throw new IOException(setting + ": larger than " + MAX_PROFILE_BYTES + " bytes");
        }
        return AccessProfile.parse(Files.readString(Path.of(setting)), setting);
      }
      try (RemoteByteSource sidecar = RemoteByteSource.open(URI.create(where))) {
        if (sidecar.size() > MAX_PROFILE_BYTES) {
          throw new IOException(where + ": larger than " + MAX_PROFILE_BYTES + " bytes");
        }
        ByteBuffer b = ByteBuffer.allocate((int) sidecar.size());
        sidecar.readFully(0, b);
        return AccessProfile.parse(new String(b.array(), StandardCharsets.UTF_8), where);
      }
    } catch (NoSuchFileException e) {
      if (!setting.isEmpty() && !untrusted) {
        System.err.println("cairn: access profile " + setting + " not found; prefetching none");
      }
      return null; // no sidecar published: nothing to prefetch
    } catch (IOException | RuntimeException e) {
      System.err.println("cairn: ignoring access profile " + where + " (" + e.getMessage() + ")");
      return null;
    }
  }
}
