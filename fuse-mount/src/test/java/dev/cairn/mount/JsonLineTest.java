package dev.cairn.mount;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.Pipe;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JsonLineTest {
  @Test
  void roundTripsEveryKindOfValueOnOneLine() throws IOException {
    Map<String, Object> inner = new LinkedHashMap<>();
    inner.put("n", -42L);
    inner.put("none", null);
    inner.put("yes", true);
    inner.put("no", false);
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("v", 1L);
    m.put("text", "quote \" backslash \\ newline \n tab \t bell \u0007 é ✓");
    m.put("args", new ArrayList<>(List.of("--snapshot=/a b/c", "--mount-point=/m")));
    m.put("empty", new ArrayList<>());
    m.put("obj", inner);
    m.put("objs", new ArrayList<>(List.of(inner, new LinkedHashMap<>())));
    String line = JsonLine.write(m);
    assertEquals(-1, line.indexOf('\n'), line);
    assertEquals(m, JsonLine.read(line));
    assertEquals(
        Long.MAX_VALUE, JsonLine.number(JsonLine.read("{\"x\":" + Long.MAX_VALUE + "}"), "x", 0));
  }

  @Test
  void readsWhatOtherWritersWrite() throws IOException {
    Map<String, Object> m = JsonLine.read(" { \"a\" : [ 1 , \"x\\u0041\\/\" ] , \"b\" : { } } ");
    assertEquals(Arrays.asList(1L, "xA/"), m.get("a"));
    assertEquals(Map.of(), m.get("b"));
    assertEquals(7, JsonLine.number(m, "missing", 7));
    assertEquals(null, JsonLine.text(m, "a"));
  }

  @Test
  void refusesWhatIsNotOneObject() {
    for (String bad :
        List.of(
            "",
            "[]",
            "\"x\"",
            "{",
            "{\"a\":}",
            "{\"a\":1,}",
            "{\"a\":1} x",
            "{\"a\":\"unterminated}",
            "{\"a\":\"\\q\"}",
            "{\"a\":\"\\u12\"}",
            "{\"a\":-}",
            "{\"a\":99999999999999999999}",
            "{a:1}")) {
      IOException e = assertThrows(IOException.class, () -> JsonLine.read(bad), bad);
      assertTrue(e.getMessage().startsWith("malformed message"), e.getMessage());
    }
  }

  /** A pipe whose write end has carried {@code bytes} and is closed: the read end. */
  private static Pipe.SourceChannel carrying(byte[] bytes) throws IOException {
    Pipe p = Pipe.open();
    ByteBuffer b = ByteBuffer.wrap(bytes);
    while (b.hasRemaining()) {
      p.sink().write(b);
    }
    p.sink().close();
    return p.source();
  }

  @Test
  void sendsAndReadsOneLinePerSideInBlocks() throws IOException {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("op", "mount");
    // longer than one read block, with multi-byte characters across the block boundaries
    m.put("args", new ArrayList<>(List.of("é✓".repeat(3000))));
    Pipe p = Pipe.open();
    Thread writer =
        new Thread(
            () -> {
              try (Pipe.SinkChannel sink = p.sink()) {
                JsonLine.send(sink, m);
              } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
              }
            });
    writer.start();
    try (Pipe.SourceChannel source = p.source()) {
      String line = JsonLine.readLine(source, 1 << 20);
      assertEquals(m, JsonLine.read(line));
    }
    try (Pipe.SourceChannel s =
        carrying("{\"a\":1}\n{\"b\":2}\n".getBytes(StandardCharsets.UTF_8))) {
      assertEquals("{\"a\":1}", JsonLine.readLine(s, 100), "the first line only");
    }
  }

  @Test
  void readLineAtTheEndOfTheStream() throws IOException {
    try (Pipe.SourceChannel s = carrying(new byte[0])) {
      assertNull(JsonLine.readLine(s, 100), "closed before any byte");
    }
    try (Pipe.SourceChannel s = carrying("{}".getBytes(StandardCharsets.UTF_8))) {
      assertEquals("{}", JsonLine.readLine(s, 100), "a last line without its line break");
    }
    try (Pipe.SourceChannel s = carrying("x".repeat(101).getBytes(StandardCharsets.UTF_8))) {
      IOException e = assertThrows(IOException.class, () -> JsonLine.readLine(s, 100));
      assertEquals("message longer than 100 bytes", e.getMessage());
    }
  }
}
