package dev.cairn.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.cairn.error.ClosedException;
import dev.cairn.error.CorruptSnapshotException;
import dev.cairn.error.CorruptStoreException;
import dev.cairn.error.MissingParentException;
import dev.cairn.error.NoCredentialsException;
import dev.cairn.error.NotARegularFileException;
import dev.cairn.error.NotASnapshotException;
import dev.cairn.error.OutOfSpaceException;
import dev.cairn.error.OverlayInUseException;
import dev.cairn.error.SourceChangedException;
import dev.cairn.error.UnsupportedSnapshotException;
import dev.cairn.error.UnsupportedVersionException;
import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class ErrorHandlerTest {
  @Test
  void theCallersInputIsAUsageError() {
    assertEquals(2, ErrorHandler.exitCode(new UsageException("bad flag")));
    assertEquals(2, ErrorHandler.exitCode(new NotASnapshotException("/a", "bad magic")));
    assertEquals(2, ErrorHandler.exitCode(new UnsupportedVersionException("/a", 2, 0, 1)));
    assertEquals(2, ErrorHandler.exitCode(new UnsupportedSnapshotException("/a", "codec id 7")));
    assertEquals(2, ErrorHandler.exitCode(new MissingParentException("/a: parent missing")));
    assertEquals(2, ErrorHandler.exitCode(new NoCredentialsException("s3://b/k: none", null)));
    assertEquals(2, ErrorHandler.exitCode(new NoSuchFileException("/a")));
  }

  @Test
  void damageAndOperationalTroubleAreFailures() {
    assertEquals(1, ErrorHandler.exitCode(new CorruptSnapshotException("/a", "bad crc")));
    assertEquals(1, ErrorHandler.exitCode(new CorruptStoreException(Path.of("/d"), "bad magic")));
    assertEquals(1, ErrorHandler.exitCode(new OverlayInUseException(Path.of("/d"), 7)));
    assertEquals(1, ErrorHandler.exitCode(new ClosedException("store in /d")));
    assertEquals(1, ErrorHandler.exitCode(new SourceChangedException("/f", "file shrank")));
    assertEquals(
        1, ErrorHandler.exitCode(new NotARegularFileException(Path.of("/dev/null"), "a device")));
    assertEquals(
        1,
        ErrorHandler.exitCode(
            OutOfSpaceException.classify(new IOException("/o: No space left on device"))));
    assertEquals(1, ErrorHandler.exitCode(new IOException("Input/output error")));
  }

  @Test
  void theMessageIsTheExceptionsOneLine() {
    assertEquals(
        "/f: file shrank", ErrorHandler.message(new SourceChangedException("/f", "file shrank")));
    assertEquals(
        "/dev/null: is a device, not a regular file; it is left as it is",
        ErrorHandler.message(new NotARegularFileException(Path.of("/dev/null"), "a device")));
    assertEquals(
        "overlay /d is in use by PID 7",
        ErrorHandler.message(new OverlayInUseException(Path.of("/d"), 7)));
  }
}
