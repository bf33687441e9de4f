package dev.cairn.store;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;

class FileByteSourceTest extends ByteSourceContract {
  @TempDir Path dir;
  private int counter;

  @Override
  protected ByteSource open(byte[] content) throws IOException {
    Path f = dir.resolve("src" + counter++);
    Files.write(f, content);
    return FileByteSource.open(f);
  }
}
