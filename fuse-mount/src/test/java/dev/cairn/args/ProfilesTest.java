package dev.cairn.args;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cairn.error.UsageException;
import dev.cairn.format.SnapshotId;
import dev.cairn.profile.AccessProfile;
import dev.cairn.sign.SigningKey;
import dev.cairn.sign.Trust;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ProfilesTest {
  /** What a mount does: reads the profile, then checks it. */
  private static Optional<AccessProfile> forMount(
      String snapshot, String option, SnapshotId id, Trust trust) throws IOException {
    return Profiles.accept(Profiles.read(snapshot, option), id, trust);
  }

  private static final SnapshotId ID = SnapshotId.parse("00112233445566778899aabbccddeeff");
  private static final SigningKey KEY = SigningKey.generate(new SecureRandom());
  private static final AccessProfile PROFILE =
      AccessProfile.of(ID, List.of(new AccessProfile.Run(0, 7, 3)));

  @TempDir Path dir;

  @Test
  void theProfileNextToTheSnapshotIsFoundAndNoneOrAMissingOneIsNoProfile() throws Exception {
    Path snap = Files.writeString(dir.resolve("base.cairn"), "not read here");
    assertEquals(Optional.empty(), forMount(snap.toString(), null, ID, Trust.NONE));
    Profiles.write(dir.resolve("base.cairn.profile"), PROFILE);
    assertEquals(
        PROFILE.runs(), forMount(snap.toString(), null, ID, Trust.NONE).orElseThrow().runs());
    assertEquals(Optional.empty(), forMount(snap.toString(), "none", ID, Trust.NONE));
    assertEquals(
        Optional.empty(),
        forMount(snap.toString(), null, SnapshotId.parse("ff".repeat(16)), Trust.NONE),
        "a profile of another snapshot is ignored");
    UsageException e =
        assertThrows(
            UsageException.class,
            () -> forMount(snap.toString(), dir + "/missing", ID, Trust.NONE));
    assertEquals(dir + "/missing: no such profile (--profile FILE or none)", e.getMessage());
  }

  @Test
  void withTrustOnlyASignedProfileByATrustedKeyIsUsed() throws Exception {
    Path snap = dir.resolve("s.cairn");
    Path profile = dir.resolve("s.cairn.profile");
    Profiles.write(profile, PROFILE);
    Trust trust = Trust.of(List.of(KEY.publicKey()));
    assertEquals(Optional.empty(), forMount(snap.toString(), null, ID, trust));
    AccessProfile signed = Profiles.sign(profile, KEY, profile);
    assertEquals(KEY.publicKey(), signed.signer().orElseThrow());
    assertTrue(forMount(snap.toString(), null, ID, trust).isPresent());
    Trust other = Trust.of(List.of(SigningKey.generate(new SecureRandom()).publicKey()));
    assertEquals(Optional.empty(), forMount(snap.toString(), null, ID, other));
  }

  @Test
  void aFileThatIsNotAProfileIsNeverReplaced() throws Exception {
    Path letter = Files.writeString(dir.resolve("letter.txt"), "Dear reader");
    UsageException e = assertThrows(UsageException.class, () -> Profiles.write(letter, PROFILE));
    assertTrue(
        e.getMessage().contains("is not a Cairn access profile; not replaced"), e.getMessage());
    assertEquals("Dear reader", Files.readString(letter));
    assertFalse(Profiles.isProfile(letter));
    Path p = dir.resolve("p.profile");
    Profiles.write(p, PROFILE);
    Profiles.write(p, PROFILE); // a recording run again replaces its own file
    assertArrayEquals(PROFILE.encode(), Files.readAllBytes(p));
  }
}
