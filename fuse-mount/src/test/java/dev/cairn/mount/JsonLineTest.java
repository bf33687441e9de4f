package dev.cairn.mount;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
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
}
