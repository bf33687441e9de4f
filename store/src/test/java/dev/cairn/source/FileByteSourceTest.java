package dev.cairn.source;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.cairn.error.SourceChangedException;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class FileByteSourceTest extends ByteSourceContract {
  @Override
  protected ByteSource open(byte[] content) throws IOException {
    return FileByteSource.open(localFile(content));
  }

  @Test
  void aFileThatShrinksWhileOpenFailsAsChangedNotAsEndOfFile() throws IOException {
    Path f = localFile(randomBytes(100_000, 30));
    try (ByteSource s = FileByteSource.open(f)) {
      try (RandomAccessFile raf = new RandomAccessFile(f.toFile(), "rw")) {
        raf.setLength(10_000);
      }
      // not an EOFException, which the reader would report as a damaged snapshot
      SourceChangedException e =
          assertThrows(
              SourceChangedException.class, () -> s.readFully(50_000, ByteBuffer.allocate(100)));
      assertEquals(
          f + ": file shrank below 100000 bytes while open (changed by another process)",
          e.getMessage());
    }
  }
}
