package dev.cairn.fuse;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.cairn.error.ClosedException;
import dev.cairn.error.CorruptSnapshotException;
import dev.cairn.error.CorruptStoreException;
import dev.cairn.error.OutOfSpaceException;
import dev.cairn.error.RemoteUnavailableException;
import dev.cairn.error.UsageException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import ru.serce.jnrfuse.ErrorCodes;

class ErrnoTest {
  @Test
  void outOfSpaceIsEnospcByType() {
    assertEquals(
        -ErrorCodes.ENOSPC(),
        Errno.of(OutOfSpaceException.classify(new IOException("/o: No space left on device"))));
    assertEquals(28, ErrorCodes.ENOSPC());
  }

  @Test
  void everythingElseIsEio() {
    assertEquals(-ErrorCodes.EIO(), Errno.of(new CorruptSnapshotException("/a", "bad crc")));
    assertEquals(-ErrorCodes.EIO(), Errno.of(new CorruptStoreException(Path.of("/d"), "bad")));
    assertEquals(-ErrorCodes.EIO(), Errno.of(new ClosedException("store in /d")));
    assertEquals(-ErrorCodes.EIO(), Errno.of(new RemoteUnavailableException("http://h/a", null)));
    assertEquals(-ErrorCodes.EIO(), Errno.of(new IOException("Input/output error")));
    assertEquals(-ErrorCodes.EIO(), Errno.of(new UsageException("--cache-size: bad")));
    assertEquals(-ErrorCodes.EIO(), Errno.of(new UncheckedIOException(new IOException("x"))));
    assertEquals(-ErrorCodes.EIO(), Errno.of(new OutOfMemoryError()));
    assertEquals(5, ErrorCodes.EIO());
  }
}
