package dev.cairn.error;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class ExitCodeTest {
  @Test
  void theCallersInputIsAUsageError() {
    assertEquals(2, ExitCode.of(new UsageException("bad flag")));
    assertEquals(2, ExitCode.of(new NotASnapshotException("/a", "bad magic")));
    assertEquals(2, ExitCode.of(new UnsupportedVersionException("/a", 2, 0, 1)));
    assertEquals(2, ExitCode.of(new UnsupportedSnapshotException("/a", "codec id 7")));
    assertEquals(2, ExitCode.of(new MissingParentException("/a: parent missing")));
    assertEquals(2, ExitCode.of(new NoCredentialsException("s3://b/k: none", null)));
    assertEquals(2, ExitCode.of(new NoSuchFileException("/a")));
  }

  @Test
  void damageAndOperationalTroubleAreFailures() {
    assertEquals(1, ExitCode.of(new CorruptSnapshotException("/a", "bad crc")));
    assertEquals(1, ExitCode.of(new CorruptStoreException(Path.of("/d"), "bad magic")));
    assertEquals(1, ExitCode.of(new OverlayInUseException(Path.of("/d"), 7)));
    assertEquals(1, ExitCode.of(new ClosedException("store in /d")));
    assertEquals(1, ExitCode.of(new SourceChangedException("/f", "file shrank")));
    assertEquals(1, ExitCode.of(new NotARegularFileException(Path.of("/dev/null"), "a device")));
    assertEquals(
        1,
        ExitCode.of(OutOfSpaceException.classify(new IOException("/o: No space left on device"))));
    assertEquals(1, ExitCode.of(new IOException("Input/output error")));
  }

  @Test
  void theMessageIsTheExceptionsOneLine() {
    assertEquals(
        "/f: file shrank", ExitCode.message(new SourceChangedException("/f", "file shrank")));
    assertEquals(
        "/dev/null: is a device, not a regular file; it is left as it is",
        ExitCode.message(new NotARegularFileException(Path.of("/dev/null"), "a device")));
    assertEquals(
        "overlay /d is in use by PID 7",
        ExitCode.message(new OverlayInUseException(Path.of("/d"), 7)));
  }
}
