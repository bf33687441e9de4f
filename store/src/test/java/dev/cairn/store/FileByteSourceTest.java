package dev.cairn.store;

import java.io.IOException;

class FileByteSourceTest extends ByteSourceContract {
  @Override
  protected ByteSource open(byte[] content) throws IOException {
    return FileByteSource.open(localFile(content));
  }
}
