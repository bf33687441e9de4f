package dev.cairn.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cairn.error.NotARegularFileException;
import dev.cairn.fixture.ChildJvm;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

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

  @Test
  void aTargetThatIsNotARegularFileIsRefusedAndLeftAsItIs() throws Exception {
    Path fifo = dir.resolve("fifo");
    assertEquals(0, new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor());
    Path sub = Files.createDirectory(dir.resolve("sub"));
    Path real = dir.resolve("real.bin");
    Files.writeString(real, "real");
    Path link = Files.createSymbolicLink(dir.resolve("link"), real);

    assertRefused(fifo, "a FIFO");
    assertRefused(sub, "a directory");
    assertRefused(link, "a symbolic link");
    assertRefused(Path.of("/dev/null"), "a character device");
    assertTrue(Files.isSymbolicLink(link));
    assertEquals("real", Files.readString(real));
    assertEquals(4, countFiles(), "no temporary file");
  }

  private void assertRefused(Path target, String kind) {
    NotARegularFileException e =
        assertThrows(NotARegularFileException.class, () -> AtomicOutputFile.create(target));
    assertEquals(kind, e.kind());
    assertEquals(
        target + ": is " + kind + ", not a regular file; it is left as it is", e.getMessage());
  }

  @Test
  void commitRefusesATargetReplacedMeanwhileByAFifo() throws Exception {
    Path target = dir.resolve("out.bin");
    try (AtomicOutputFile out = AtomicOutputFile.create(target)) {
      out.channel().write(ByteBuffer.wrap(new byte[1000]));
      assertEquals(0, new ProcessBuilder("mkfifo", target.toString()).start().waitFor());
      assertThrows(NotARegularFileException.class, out::commit);
    }
    assertEquals(0010000, (Integer) Files.getAttribute(target, "unix:mode") & 0170000, "a FIFO");
    assertEquals(1, countFiles(), "the FIFO only");
  }

  @Test
  void theNextWriterSweepsADeadWritersTemporaryButNotALiveOne() throws Exception {
    Path target = dir.resolve("image.cairn");
    try (ChildJvm dead = ChildJvm.start(OutputWriterMain.class, target.toString());
        ChildJvm live = ChildJvm.start(OutputWriterMain.class, dir.resolve("b.cairn").toString())) {
      Path deadTemp = Path.of(dead.awaitLine("temp ", 60).substring(5));
      Path liveTemp = Path.of(live.awaitLine("temp ", 60).substring(5));
      dead.kill9();
      assertTrue(Files.exists(deadTemp), "kill -9 cannot clean up");
      // look-alikes that are not this writer's temporaries, and a link to a dead one
      Path other = Files.writeString(dir.resolve(".image.cairn.tmp-1234"), "someone else's");
      Path notes = Files.writeString(dir.resolve("notes.txt"), "notes");
      Path outside = Files.createTempDirectory("aof-outside");
      Path victim = Files.writeString(outside.resolve("victim"), "victim");
      Path link =
          Files.createSymbolicLink(dir.resolve(".x.cairn.tmp-cairn-0123456789abcdef"), victim);

      try (AtomicOutputFile next = AtomicOutputFile.create(target)) {
        assertFalse(Files.exists(deadTemp), "the dead writer's temporary is swept");
        assertTrue(Files.exists(liveTemp), "the live writer's temporary stays");
        assertTrue(Files.exists(next.temp()));
      }
      assertEquals("someone else's", Files.readString(other));
      assertEquals("notes", Files.readString(notes));
      assertTrue(Files.isSymbolicLink(link));
      assertEquals("victim", Files.readString(victim));

      live.closeStdin();
      assertEquals(0, live.waitFor(60));
      assertEquals(1 << 20, Files.size(dir.resolve("b.cairn")), "the live writer committed");
      assertFalse(Files.exists(liveTemp));
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"INT", "TERM"})
  void aSignalRemovesTheTemporary(String signal) throws Exception {
    Path target = dir.resolve("sig.cairn");
    try (ChildJvm child = ChildJvm.start(OutputWriterMain.class, target.toString())) {
      Path temp = Path.of(child.awaitLine("temp ", 60).substring(5));
      assertTrue(Files.exists(temp));
      assertEquals(
          0,
          new ProcessBuilder("kill", "-" + signal, String.valueOf(child.pid())).start().waitFor());
      assertEquals(signal.equals("INT") ? 130 : 143, child.waitFor(60));
      assertFalse(Files.exists(temp), "the shutdown hook removed " + temp);
      assertFalse(Files.exists(target));
      assertEquals(0, countFiles());
    }
  }

  private long countFiles() throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.count();
    }
  }
}
