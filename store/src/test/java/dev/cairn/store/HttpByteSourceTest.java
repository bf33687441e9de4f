package dev.cairn.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The byte-source contract against a real nginx, plus what only HTTP can get wrong. */
class HttpByteSourceTest extends ByteSourceContract {
  @TempDir static Path shared;
  static Path root;
  static Nginx nginx;
  private static int objects;

  @BeforeAll
  static void startNginx() throws Exception {
    root = Files.createDirectories(shared.resolve("www"));
    nginx = Nginx.serve(root, Files.createDirectories(shared.resolve("nginx")));
  }

  @AfterAll
  static void stopNginx() throws Exception {
    if (nginx != null) {
      nginx.close();
    }
  }

  @Override
  protected ByteSource open(byte[] content) throws IOException {
    String name = "object-" + objects++ + ".bin";
    Files.write(root.resolve(name), content);
    return HttpByteSource.open(URI.create(nginx.url(name)));
  }

  @Test
  void aMissingObjectIsNoSuchFileAndNamesTheUrl() {
    NoSuchFileException e =
        assertThrows(
            NoSuchFileException.class,
            () -> HttpByteSource.open(URI.create(nginx.url("missing.cairn"))));
    assertTrue(e.getMessage().contains("/missing.cairn"), e.getMessage());
    assertTrue(e.getMessage().contains("404"), e.getMessage());
  }

  @Test
  void urlsAreRecognisedAndDescribedWithoutQueries() throws IOException {
    assertTrue(HttpByteSource.isUrl("https://example.org/a.cairn"));
    assertTrue(HttpByteSource.isUrl("http://example.org/a.cairn"));
    assertEquals(false, HttpByteSource.isUrl("/var/a.cairn"));
    try (ByteSource s = open(randomBytes(10, 22))) {
      assertTrue(s.describe().startsWith("http://127.0.0.1:"), s.describe());
    }
  }
}
