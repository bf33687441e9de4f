package dev.cairn.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AtomicOutputFileTest {
  @TempDir Path dir;

  @Test
  void commitPublishesUnderTheTargetName() throws IOException {
    Path target = dir.resolve("out.bin");
    try (AtomicOutputFile out = AtomicOutputFile.create(target)) {
      out.channel().write(ByteBuffer.wrap("hello".getBytes(StandardCharsets.UTF_8)));
      assertFalse(Files.exists(target), "not visible before commit");
      out.commit();
    }
    assertArrayEquals("hello".getBytes(StandardCharsets.UTF_8), Files.readAllBytes(target));
    assertEquals(1, countFiles(), "no temporary file left");
  }

  @Test
  void closeWithoutCommitLeavesNothingAndKeepsExistingTarget() throws IOException {
    Path target = dir.resolve("out.bin");
    Files.writeString(target, "old");
    try (AtomicOutputFile out = AtomicOutputFile.create(target)) {
      out.channel().write(ByteBuffer.wrap(new byte[1000]));
    }
    assertEquals("old", Files.readString(target));
    assertEquals(1, countFiles());
  }

  private long countFiles() throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.count();
    }
  }
}
