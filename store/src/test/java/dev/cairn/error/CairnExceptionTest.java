package dev.cairn.error;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class CairnExceptionTest {
  @Test
  void everyKindIsClassifiedAsUsageOrFailure() {
    assertTrue(new MissingParentException("p: missing").isUsageError());
    assertTrue(new UnsupportedVersionException("/a", 2, 0, 1).isUsageError());
    assertTrue(
        new UnsupportedSnapshotException("/a", "unsupported snapshot: codec id 7").isUsageError());
    assertTrue(new NotASnapshotException("/a", "bad magic").isUsageError());
    assertTrue(new NoCredentialsException("s3://b/k: no credentials", null).isUsageError());
    assertTrue(new UsageException("--mode 0755: no execute bits").isUsageError());
    assertEquals(CairnException.Category.USAGE, new UsageException("--mode 0755: bad").category());
    assertFalse(
        new NotARegularFileException(Path.of("/dev/null"), "a character device").isUsageError());
    assertFalse(new CorruptSnapshotException("/a", "bad crc").isUsageError());
    assertFalse(new CorruptStoreException(Path.of("/d/m"), "bad magic").isUsageError());
    assertFalse(new OverlayInUseException(Path.of("/d"), 12).isUsageError());
    assertFalse(new ClosedException("store in /d").isUsageError());
    assertFalse(new RemoteUnavailableException("http://h/a: gave up", null).isUsageError());
    assertFalse(new SourceChangedException("/f", "file shrank").isUsageError());
    IOException full = OutOfSpaceException.classify(new IOException("No space left on device"));
    assertFalse(assertInstanceOf(OutOfSpaceException.class, full).isUsageError());
  }

  @Test
  void messagesAreOneLineNamingTheFile() {
    assertEquals("store in /d is closed", new ClosedException("store in /d").getMessage());
    assertEquals("/f: file shrank", new SourceChangedException("/f", "file shrank").getMessage());
    assertEquals(
        "/dev/null: is a character device, not a regular file; it is left as it is",
        new NotARegularFileException(Path.of("/dev/null"), "a character device").getMessage());
    assertEquals(
        "/a: snapshot format version 2.0 is not supported; this cairn reads format 1.x (upgrade"
            + " cairn to read it)",
        new UnsupportedVersionException("/a", 2, 0, 1).getMessage());
  }

  @Test
  void outOfSpaceIsRecognisedByTheJdkMessageAndKeepsIt() {
    IOException full = new IOException("/d/out: No space left on device");
    IOException e = OutOfSpaceException.classify(full);
    OutOfSpaceException o = assertInstanceOf(OutOfSpaceException.class, e);
    assertEquals("/d/out: No space left on device", o.getMessage());
    assertSame(full, o.getCause());
    assertEquals(CairnException.Category.OUT_OF_SPACE, o.category());
  }

  @Test
  void otherFailuresPassThroughUnchanged() {
    IOException io = new IOException("Input/output error");
    assertSame(io, OutOfSpaceException.classify(io));
    IOException noMessage = new IOException();
    assertSame(noMessage, OutOfSpaceException.classify(noMessage));
    CorruptStoreException corrupt = new CorruptStoreException(Path.of("/d"), "No space left?");
    assertSame(corrupt, OutOfSpaceException.classify(corrupt));
  }
}
