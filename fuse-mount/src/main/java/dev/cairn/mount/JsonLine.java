package dev.cairn.mount;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The serving process's protocol messages: one JSON object per line, of strings, whole numbers,
 * booleans, null, lists and objects. Hand-written rather than Jackson because the client side runs
 * in every {@code cairn mount}, whose start-up time counts: loading Jackson's data binding costs
 * more class loading than the whole request. Each side of a connection to the serving process sends
 * one line ({@link #send}, {@link #readLine}): the client's request, the server's answer.
 * Stateless; thread-safe.
 */
final class JsonLine {
  private JsonLine() {}

  /** How many bytes {@link #readLine} asks the channel for at a time. */
  private static final int READ_BLOCK = 4096;

  /** Writes {@code object} to {@code ch} as one line of UTF-8 ending in a line break. */
  static void send(WritableByteChannel ch, Map<String, ?> object) throws IOException {
    ByteBuffer b = ByteBuffer.wrap((write(object) + "\n").getBytes(StandardCharsets.UTF_8));
    while (b.hasRemaining()) {
      ch.write(b);
    }
  }

  /**
   * Reads one line of UTF-8 from {@code ch}, without its line break: the bytes up to the first line
   * break, or up to the end of the stream if none comes. Null when the stream ends before any byte.
   * Reads in blocks, not a byte per system call, so anything after the line break is dropped: on
   * this protocol's connections nothing follows it.
   *
   * @throws IOException also when the line is longer than {@code max} bytes
   */
  static String readLine(ReadableByteChannel ch, int max) throws IOException {
    ByteArrayOutputStream line = new ByteArrayOutputStream(256);
    ByteBuffer b = ByteBuffer.allocate(READ_BLOCK);
    boolean any = false;
    while (ch.read(b.clear()) >= 0) {
      b.flip();
      any |= b.hasRemaining();
      while (b.hasRemaining()) {
        byte c = b.get();
        if (c == '\n') {
          return line.toString(StandardCharsets.UTF_8);
        }
        if (line.size() >= max) {
          throw new IOException("message longer than " + max + " bytes");
        }
        line.write(c);
      }
    }
    return any ? line.toString(StandardCharsets.UTF_8) : null;
  }

  /** One line of JSON (no line break in it: strings are escaped). */
  static String write(Map<String, ?> object) {
    StringBuilder b = new StringBuilder(256);
    value(b, object);
    return b.toString();
  }

  @SuppressWarnings("unchecked")
  private static void value(StringBuilder b, Object v) {
    if (v == null) {
      b.append("null");
    } else if (v instanceof String s) {
      string(b, s);
    } else if (v instanceof Integer || v instanceof Long || v instanceof Boolean) {
      b.append(v);
    } else if (v instanceof Map<?, ?> m) {
      b.append('{');
      boolean first = true;
      for (Map.Entry<String, ?> e : ((Map<String, ?>) m).entrySet()) {
        if (!first) {
          b.append(',');
        }
        first = false;
        string(b, e.getKey());
        b.append(':');
        value(b, e.getValue());
      }
      b.append('}');
    } else if (v instanceof List<?> l) {
      b.append('[');
      for (int i = 0; i < l.size(); i++) {
        if (i > 0) {
          b.append(',');
        }
        value(b, l.get(i));
      }
      b.append(']');
    } else {
      string(b, v.toString());
    }
  }

  private static void string(StringBuilder b, String s) {
    b.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> b.append("\\\"");
        case '\\' -> b.append("\\\\");
        case '\n' -> b.append("\\n");
        case '\r' -> b.append("\\r");
        case '\t' -> b.append("\\t");
        default -> {
          if (c < 0x20) {
            b.append(String.format("\\u%04x", (int) c));
          } else {
            b.append(c);
          }
        }
      }
    }
    b.append('"');
  }

  /** Parses one JSON object; throws {@link IOException} naming what is malformed. */
  @SuppressWarnings("unchecked")
  static Map<String, Object> read(String line) throws IOException {
    Parser p = new Parser(line);
    p.ws();
    Object v = p.value();
    p.ws();
    if (!(v instanceof Map) || p.i != line.length()) {
      throw new IOException("malformed message: not one JSON object");
    }
    return (Map<String, Object>) v;
  }

  private static final class Parser {
    final String s;
    int i;

    Parser(String s) {
      this.s = s;
    }

    void ws() {
      while (i < s.length() && Character.isWhitespace(s.charAt(i))) {
        i++;
      }
    }

    IOException bad() {
      return new IOException("malformed message at character " + i);
    }

    char peek() throws IOException {
      if (i >= s.length()) {
        throw bad();
      }
      return s.charAt(i);
    }

    void expect(char c) throws IOException {
      ws();
      if (peek() != c) {
        throw bad();
      }
      i++;
    }

    Object value() throws IOException {
      ws();
      char c = peek();
      if (c == '{') {
        i++;
        Map<String, Object> m = new LinkedHashMap<>();
        ws();
        if (peek() == '}') {
          i++;
          return m;
        }
        while (true) {
          ws();
          String k = string();
          expect(':');
          m.put(k, value());
          ws();
          char n = peek();
          i++;
          if (n == '}') {
            return m;
          }
          if (n != ',') {
            throw bad();
          }
        }
      }
      if (c == '[') {
        i++;
        List<Object> l = new ArrayList<>();
        ws();
        if (peek() == ']') {
          i++;
          return l;
        }
        while (true) {
          l.add(value());
          ws();
          char n = peek();
          i++;
          if (n == ']') {
            return l;
          }
          if (n != ',') {
            throw bad();
          }
        }
      }
      if (c == '"') {
        return string();
      }
      if (s.startsWith("null", i)) {
        i += 4;
        return null;
      }
      if (s.startsWith("true", i)) {
        i += 4;
        return Boolean.TRUE;
      }
      if (s.startsWith("false", i)) {
        i += 5;
        return Boolean.FALSE;
      }
      int start = i;
      if (c == '-') {
        i++;
      }
      while (i < s.length() && Character.isDigit(s.charAt(i))) {
        i++;
      }
      if (i == start || (i == start + 1 && c == '-')) {
        throw bad();
      }
      try {
        return Long.parseLong(s.substring(start, i));
      } catch (NumberFormatException e) {
        throw bad();
      }
    }

    String string() throws IOException {
      if (peek() != '"') {
        throw bad();
      }
      i++;
      StringBuilder b = new StringBuilder();
      while (true) {
        char c = peek();
        i++;
        if (c == '"') {
          return b.toString();
        }
        if (c != '\\') {
          b.append(c);
          continue;
        }
        char e = peek();
        i++;
        switch (e) {
          case '"', '\\', '/' -> b.append(e);
          case 'n' -> b.append('\n');
          case 'r' -> b.append('\r');
          case 't' -> b.append('\t');
          case 'b' -> b.append('\b');
          case 'f' -> b.append('\f');
          case 'u' -> {
            if (i + 4 > s.length()) {
              throw bad();
            }
            try {
              b.append((char) Integer.parseInt(s.substring(i, i + 4), 16));
            } catch (NumberFormatException x) {
              throw bad();
            }
            i += 4;
          }
          default -> throw bad();
        }
      }
    }
  }

  /** {@code m.get(key)} as a long, or {@code dflt} if absent or not a number. */
  static long number(Map<String, Object> m, String key, long dflt) {
    return m.get(key) instanceof Long l ? l : dflt;
  }

  /** {@code m.get(key)} as a string, or null if absent or not a string. */
  static String text(Map<String, Object> m, String key) {
    return m.get(key) instanceof String s ? s : null;
  }
}
