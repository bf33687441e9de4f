package dev.cairn.source;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The order in which a workload (a VM boot, a model load) first read the chunks of a snapshot's
 * chain: what a later mount fetches in the background, in that order, before it is asked (Nydus's
 * prefetch lists, SOCI's load-order documents). Text, UTF-8:
 *
 * <pre>
 * cairn-profile 1
 * MEMBER CHUNK
 * ...
 * </pre>
 *
 * MEMBER is the file name of a chain member's URL (its last path segment), CHUNK a chunk index
 * ({@value ChunkCachingSource#CHUNK} bytes each), one line per chunk in first-read order, each at
 * most once. A profile says only which bytes to fetch early: every byte fetched by it is checked as
 * any other, so a wrong profile costs bandwidth, never correctness.
 *
 * @param entries in order, without repeats
 */
public record AccessProfile(List<Entry> entries) {
  /** The first line of every profile. */
  static final String MAGIC = "cairn-profile 1";

  /** The most entries a profile may hold (16 TiB of chunks). */
  static final int MAX_ENTRIES = 1 << 24;

  private static final Pattern LINE = Pattern.compile("([^\\s/]+) (0|[1-9][0-9]{0,17})");

  /** One chunk of one member. */
  public record Entry(String member, long chunk) {}

  public AccessProfile {
    entries = List.copyOf(new LinkedHashSet<>(entries));
  }

  /**
   * Parses a profile.
   *
   * @param where what to name in the message if it is not one
   * @throws IOException naming {@code where} and the first bad line
   */
  static AccessProfile parse(String text, String where) throws IOException {
    String[] lines = text.split("\n", -1);
    if (lines.length == 0 || !lines[0].equals(MAGIC)) {
      throw new IOException(where + ": not a cairn access profile (no '" + MAGIC + "' line)");
    }
    List<Entry> out = new ArrayList<>();
    for (int i = 1; i < lines.length; i++) {
      String l = lines[i];
      if (l.isEmpty() && i == lines.length - 1) {
        break;
      }
      var m = LINE.matcher(l);
      if (!m.matches() || out.size() >= MAX_ENTRIES) {
        throw new IOException(where + ": line " + (i + 1) + " is not 'MEMBER CHUNK'");
      }
      out.add(new Entry(m.group(1), Long.parseLong(m.group(2))));
    }
    return new AccessProfile(out);
  }

  /** The profile as text, ending with a newline. */
  String render() {
    StringBuilder sb = new StringBuilder(MAGIC).append('\n');
    for (Entry e : entries) {
      sb.append(e.member()).append(' ').append(e.chunk()).append('\n');
    }
    return sb.toString();
  }

  /** The chunks of {@code member}, in profile order. */
  List<Long> chunksOf(String member) {
    List<Long> out = new ArrayList<>();
    Set<Long> seen = new java.util.HashSet<>();
    for (Entry e : entries) {
      if (e.member().equals(member) && seen.add(e.chunk())) {
        out.add(e.chunk());
      }
    }
    return out;
  }

  /** The MEMBER name of the object a source {@link ByteSource#describe() describes}. */
  static String memberName(String url) {
    int slash = url.lastIndexOf('/');
    return url.substring(slash + 1);
  }
}
