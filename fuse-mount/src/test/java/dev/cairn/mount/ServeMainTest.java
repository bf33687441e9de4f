package dev.cairn.mount;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.cairn.error.ExitCode;
import dev.cairn.write.Pack;
import dev.cairn.write.WriterOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The class-data training workload ({@code ServeMain --cds-train}): it must run to the end, or the
 * launcher's script keeps no archive and every serving process starts from the jar — which is what
 * happened, silently, when a class the training named by string was split away.
 */
class ServeMainTest {
  @Test
  void trainingOnALocalSnapshotRunsToTheEnd(@TempDir Path dir) throws Exception {
    Path input = Files.write(dir.resolve("in.img"), new byte[300_000]);
    Path snap = dir.resolve("in.cairn");
    Pack.run(List.of(new Pack.Input(input, "in.img")), snap, WriterOptions.defaults(), n -> {});
    assertEquals(ExitCode.OK, ServeMain.run(new String[] {"--cds-train", "--snapshot=" + snap}));
    // its remote half swallows failures (the archive then lacks those classes): called directly
    Path scratch = Files.createDirectory(dir.resolve("remote"));
    RemoteTraining.run(snap, scratch);
  }

  /**
   * A remote mount's training packs a snapshot of its own and reads it over the loopback interface
   * too (HTTP and S3), with a disk cache of its own: the user's cache setting is as it was after.
   */
  @Test
  void trainingForARemoteMountPacksItsOwnSnapshotAndLeavesTheCacheSettingAlone() {
    assertNull(System.getProperty("cairn.cacheDir"));
    assertEquals(ExitCode.OK, ServeMain.run(new String[] {"--cds-train", "--snapshot="}));
    assertNull(System.getProperty("cairn.cacheDir"));
  }
}
