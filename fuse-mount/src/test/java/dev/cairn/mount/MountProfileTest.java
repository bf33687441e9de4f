package dev.cairn.mount;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cairn.args.Profiles;
import dev.cairn.error.RemoteUnavailableException;
import dev.cairn.format.CodecType;
import dev.cairn.profile.AccessProfile;
import dev.cairn.read.Snapshot;
import dev.cairn.sign.Trust;
import dev.cairn.testing.Fixture;
import dev.cairn.testing.Snapshots;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MountProfileTest {
  @TempDir Path dir;

  /**
   * A profile that cannot be read (its server went away) costs the background fetch, never the
   * mount, whether the lookup failed before the snapshot opened or after.
   */
  @Test
  void aFailedLookupStartsNoFetchAndThrowsNothing() throws Exception {
    Snapshots.Written w = Fixture.write(CodecType.LZ4);
    try (Snapshot s = Snapshots.open(w.file(), "s")) {
      MountProfile early =
          new MountProfile(
              ProfileOptions.DEFAULT,
              s,
              Trust.NONE,
              CompletableFuture.failedFuture(
                  new RemoteUnavailableException("s3://b/s.profile: connection refused", null)));
      early.start();
      assertEquals(Map.of(), early.stats(), "no fetch, nothing recorded");
      early.close();

      CompletableFuture<Optional<Profiles.Found>> pending = new CompletableFuture<>();
      MountProfile late = new MountProfile(ProfileOptions.DEFAULT, s, Trust.NONE, pending);
      late.start();
      pending.completeExceptionally(
          new RemoteUnavailableException("s3://b/s.profile: connection refused", null));
      assertEquals(Map.of(), late.stats());
      late.close();
    }
  }

  /** The fetch starts once the profile is in, and not at all once the mount has closed. */
  @Test
  void theFetchStartsWhenTheProfileArrivesUnlessClosedFirst() throws Exception {
    Snapshots.Written w = Fixture.write(CodecType.LZ4);
    try (Snapshot s = Snapshots.open(w.file(), "s")) {
      long block = 0;
      while (!s.stream(0).entry(block).kind().hasData()) {
        block++;
      }
      AccessProfile p =
          AccessProfile.of(s.header().snapshotId(), List.of(new AccessProfile.Run(0, block, 1)));
      Path file = dir.resolve("s.profile");
      Profiles.write(file, p);
      byte[] bytes = Files.readAllBytes(file);

      CompletableFuture<Optional<Profiles.Found>> pending = new CompletableFuture<>();
      MountProfile m = new MountProfile(ProfileOptions.DEFAULT, s, Trust.NONE, pending);
      m.start();
      assertEquals(Map.of(), m.stats(), "nothing to fetch yet");
      pending.complete(Optional.of(new Profiles.Found(file.toString(), bytes)));
      assertEquals(1L, m.stats().get("fetch_blocks"));
      long deadline = System.nanoTime() + 10_000_000_000L;
      while (!Boolean.TRUE.equals(m.stats().get("fetch_done")) && System.nanoTime() < deadline) {
        Thread.sleep(10);
      }
      assertEquals(1L, m.stats().get("fetched_blocks"), m.stats().toString());
      assertTrue((Boolean) m.stats().get("fetch_done"), m.stats().toString());
      m.close();

      CompletableFuture<Optional<Profiles.Found>> late = new CompletableFuture<>();
      MountProfile closed = new MountProfile(ProfileOptions.DEFAULT, s, Trust.NONE, late);
      closed.start();
      closed.close();
      late.complete(Optional.of(new Profiles.Found(file.toString(), bytes)));
      assertFalse(closed.stats().containsKey("fetch_blocks"), "no fetch after close");
    }
  }
}
